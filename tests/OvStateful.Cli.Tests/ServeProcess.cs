using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace OvStateful.Cli.Tests;

/// <summary>
/// `ovs serve` as a child process on free ports (the apphost beside the test binaries), for
/// what only a real process shows: kill -9, SIGTERM, an open-file limit. Output is collected;
/// disposing kills it if it still runs.
/// </summary>
internal sealed partial class ServeProcess : IDisposable
{
    /// <summary>Bound on waits so a bug shows as a failure, never a hang.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServeProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
    }

    public Uri Http { get; private set; } = null!;
    public int GrpcPort { get; private set; }
    /// <summary>The Prometheus page, http://host:port/metrics.</summary>
    public Uri Metrics { get; private set; } = null!;
    public int Pid => _process.Id;

    /// <summary>Everything it printed so far (stdout and stderr interleaved).</summary>
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>Starts it (under <c>ulimit -n</c> when <paramref name="openFileLimit"/> is given) and waits until it serves.</summary>
    public static async Task<ServeProcess> StartAsync(string repository, IEnumerable<string> arguments, int? openFileLimit = null)
    {
        var ovs = Path.Combine(AppContext.BaseDirectory, "ovs");
        var args = new List<string> { "serve", "--model-repository", repository, "--http-port", "0", "--grpc-port", "0", "--metrics-port", "0" };
        args.AddRange(arguments);
        var info = openFileLimit is { } limit
            ? new ProcessStartInfo("bash", ["-c", $"ulimit -n {limit} && exec \"$0\" \"$@\"", ovs, .. args])
            : new ProcessStartInfo(ovs, args);
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        var serve = new ServeProcess(Process.Start(info)!);
        serve._process.BeginOutputReadLine();
        serve._process.BeginErrorReadLine();
        var exited = serve._process.WaitForExitAsync();
        if (await Task.WhenAny(serve._ready.Task, exited, Task.Delay(HangGuard)) != serve._ready.Task)
        {
            var output = serve.Output;
            serve.Dispose();
            Assert.Fail($"ovs serve did not start:\n{output}");
        }
        return serve;
    }

    private void Line(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
        // The start-up table's rows: "| http_address | http://127.0.0.1:33269 |".
        var cells = line.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (cells.Length == 2 && cells[1].StartsWith("http://", StringComparison.Ordinal))
        {
            switch (cells[0])
            {
                case "http_address": Http = new Uri(cells[1]); break;
                case "grpc_address": GrpcPort = new Uri(cells[1]).Port; break;
                case "metrics_address": Metrics = new Uri(cells[1]); break;
            }
        }
        if (line.Contains("serving; Ctrl+C to stop", StringComparison.Ordinal)) _ready.TrySetResult();
    }

    public bool HasExited => _process.HasExited;

    /// <summary>kill -9: no goodbye, nothing flushed by the process itself.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync().WaitAsync(HangGuard);
    }

    /// <summary>SIGTERM, as a service manager stops it; returns the exit code.</summary>
    public async Task<int> TerminateAsync()
    {
        Assert.Equal(0, Kill(_process.Id, 15));
        await _process.WaitForExitAsync().WaitAsync(HangGuard);
        return _process.ExitCode;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal); // int kill(pid_t, int)

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill();
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // never started
        }
        _process.Dispose();
    }
}
