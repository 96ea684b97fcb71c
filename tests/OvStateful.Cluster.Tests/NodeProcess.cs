using System.Diagnostics;
using System.Text;

namespace OvStateful.Cluster.Tests;

/// <summary>
/// A real child process (ovs serve --cluster, or redis-server) whose output is collected; its
/// KServe addresses are read from the start-up table. Disposing kills it if it still runs.
/// </summary>
internal sealed class NodeProcess : IDisposable
{
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _readyLine;

    private NodeProcess(ProcessStartInfo info, string readyLine, string name)
    {
        Name = name;
        _readyLine = readyLine;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        _process = new Process { StartInfo = info };
        _process.OutputDataReceived += (_, e) => Line(e.Data);
        _process.ErrorDataReceived += (_, e) => Line(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }
    public string Http { get; private set; } = "";
    public string Grpc { get; private set; } = "";
    public bool HasExited => _process.HasExited;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>An ovs node of the cluster at <paramref name="redisPort"/>, on free ports.</summary>
    public static Task<NodeProcess> StartNodeAsync(string name, string repository, int redisPort, int siloPort, bool persist)
    {
        var args = new List<string>
        {
            "serve", "--model-repository", repository, "--http-port", "0", "--grpc-port", "0", "--metrics-port", "0",
            "--cluster", $"redis://127.0.0.1:{redisPort}", "--silo-port", siloPort.ToString(), "--node-name", name, "--threads", "1", "--spill",
        };
        if (persist) args.Add("--cluster-persist");
        return StartAsync(new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "ovs"), args), "serving; Ctrl+C to stop", name);
    }

    /// <summary>Debian's redis-server on <paramref name="port"/>, in memory only; null (with why) when it is not installed.</summary>
    public static async Task<NodeProcess?> StartRedisAsync(int port)
    {
        var server = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists);
        if (server is null) return null;
        return await StartAsync(new ProcessStartInfo(server, ["--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]), "Ready to accept connections", "redis");
    }

    private static async Task<NodeProcess> StartAsync(ProcessStartInfo info, string readyLine, string name)
    {
        var p = new NodeProcess(info, readyLine, name);
        var exited = p._process.WaitForExitAsync();
        if (await Task.WhenAny(p._ready.Task, exited, Task.Delay(HangGuard)) != p._ready.Task)
        {
            var output = p.Output;
            p.Dispose();
            Assert.Fail($"{name} did not start:\n{output}");
        }
        return p;
    }

    private void Line(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
        var cells = line.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (cells.Length == 2 && cells[1].StartsWith("http://", StringComparison.Ordinal))
        {
            if (cells[0] == "http_address") Http = cells[1];
            else if (cells[0] == "grpc_address") Grpc = cells[1];
        }
        if (line.Contains(_readyLine, StringComparison.Ordinal)) _ready.TrySetResult();
    }

    /// <summary>kill -9: no drain, no goodbye to the cluster.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGTERM, then waits for the exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();
        await _process.WaitForExitAsync().WaitAsync(HangGuard);
        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // never started
        }
        _process.Dispose();
    }
}
