using System.Net;
using System.Text;
using OvStateful.Cli.Commands;
using OvStateful.Core.Serving;
using OvStateful.Server.Hosting;

namespace OvStateful.Cli.Tests;

/// <summary><c>ovs serve</c> in-process: settings are checked before binding; it serves until stopped, then exits 0.</summary>
public sealed class ServeCommandTests
{
    /// <summary>A repository with no models: enough to host the server's health and metadata endpoints.</summary>
    private sealed class EmptyRegistry : IModelRegistry
    {
        public IReadOnlyList<ModelIndexEntry> Index() => [];
        public bool TryGet(string name, string? version, out IServedModel? model) { model = null; return false; }
        public Task LoadAsync(string name, CancellationToken cancellationToken) => throw new InferenceException(InferenceErrorKind.NotFound, $"no model '{name}'");
        public Task UnloadAsync(string name, CancellationToken cancellationToken) => throw new InferenceException(InferenceErrorKind.NotFound, $"no model '{name}'");
        public bool IsReady => true;
    }

    /// <summary>Signals when a line containing the awaited text is written.</summary>
    private sealed class WatchingWriter(string awaited) : StringWriter
    {
        public TaskCompletionSource Seen { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value?.Contains(awaited, StringComparison.Ordinal) == true) Seen.TrySetResult();
        }
    }

    [Fact]
    public async Task Invalid_settings_exit_2_naming_each_setting()
    {
        var errors = new StringWriter();
        var options = new ServerOptions { HttpPort = -5, GrpcPort = 7000, MetricsPort = 7000, ModelRepository = "/definitely/not/here" };
        var code = await ServeCommand.RunAsync(options, (_, _, _) => Task.FromResult<IModelRegistry>(new EmptyRegistry()), TextWriter.Null, errors, CancellationToken.None);
        Assert.Equal(2, code);
        var text = errors.ToString();
        Assert.Contains("HttpPort is -5", text);
        Assert.Contains("GrpcPort and MetricsPort are both 7000", text);
        Assert.Contains("ModelRepository '/definitely/not/here' does not exist", text);
    }

    [Fact]
    public async Task Registry_failure_exits_1_with_its_message()
    {
        var errors = new StringWriter();
        var options = new ServerOptions { HttpPort = 0, GrpcPort = 0, MetricsPort = 0, ModelRepository = Path.GetTempPath() };
        var code = await ServeCommand.RunAsync(options, (_, _, _) => throw new InvalidDataException("model 'x': config.pbtxt line 3: bad"), TextWriter.Null, errors, CancellationToken.None);
        Assert.Equal(1, code);
        Assert.Contains("model 'x': config.pbtxt line 3: bad", errors.ToString());
    }

    [Fact]
    public async Task Serves_on_free_ports_prints_them_and_stops_on_cancel()
    {
        var output = new WatchingWriter("metrics");
        using var stop = new CancellationTokenSource();
        var options = new ServerOptions { HttpPort = 0, GrpcPort = 0, MetricsPort = 0, ModelRepository = Path.GetTempPath() };
        var run = ServeCommand.RunAsync(options, (_, _, _) => Task.FromResult<IModelRegistry>(new EmptyRegistry()), output, TextWriter.Null, stop.Token);
        await Task.WhenAny(output.Seen.Task, run);
        Assert.False(run.IsCompleted, "serve ended before it printed its addresses");

        var http = output.ToString().Split('\n').Single(l => l.TrimStart().StartsWith("HTTP", StringComparison.Ordinal)).Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        Assert.DoesNotContain(":0", http);
        using var client = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(http + "/v2/health/live")).StatusCode);
        Assert.Contains("ovstateful", await client.GetStringAsync(http + "/v2"), StringComparison.Ordinal);

        stop.Cancel();
        Assert.Equal(0, await run);
        Assert.Contains("stopping", output.ToString());
    }
}
