using System.Diagnostics;

namespace OvStateful.Server.Tests.Infrastructure;

/// <summary>Runs Debian's python3 (real protocol clients: grpcio, tritonclient) and collects what it printed. Also compiled into the cluster tests.</summary>
internal static class PythonScript
{
    /// <summary>Debian's python3: the one apt's python3-grpcio and python3-numpy are installed for.</summary>
    public const string Python = "/usr/bin/python3";

    /// <summary>Whether <see cref="Python"/> exists and imports these modules ("grpc, numpy"): what the tests that run real clients skip on, saying which.</summary>
    public static bool CanImport(string modules)
    {
        if (!File.Exists(Python)) return false;
        using var p = Process.Start(new ProcessStartInfo(Python, ["-c", $"import {modules}"]) { RedirectStandardError = true })!;
        p.WaitForExit();
        return p.ExitCode == 0;
    }

    /// <summary>Both streams are read while it runs, so a chatty script cannot block on a full pipe.</summary>
    public static async Task<(int Code, string Stdout, string Stderr)> RunAsync(IReadOnlyList<string> args, TimeSpan timeout)
    {
        using var p = Process.Start(new ProcessStartInfo(Python, args)
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
