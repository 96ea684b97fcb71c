using System.Diagnostics;

namespace OvStateful.Server.Tests.Infrastructure;

/// <summary>Runs Debian's python3 (real protocol clients: grpcio, tritonclient) and collects what it printed.</summary>
internal static class PythonScript
{
    /// <summary>Both streams are read while it runs, so a chatty script cannot block on a full pipe.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(IReadOnlyList<string> args, TimeSpan timeout)
    {
        using var p = Process.Start(new ProcessStartInfo(GrpcioFactAttribute.Python, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(timeout);
        return (p.ExitCode, await stdout, await stderr);
    }
}
