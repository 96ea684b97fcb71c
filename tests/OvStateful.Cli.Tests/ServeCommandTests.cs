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
    internal sealed class EmptyRegistry : IModelRegistry
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
        var code = await ServeCommand.RunAsync(options, (_, _, _, _) => Task.FromResult<IModelRegistry>(new EmptyRegistry()), TextWriter.Null, errors, CancellationToken.None);
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
        var code = await ServeCommand.RunAsync(options, (_, _, _, _) => throw new InvalidDataException("model 'x': config.pbtxt line 3: bad"), TextWriter.Null, errors, CancellationToken.None);
        Assert.Equal(1, code);
        Assert.Contains("model 'x': config.pbtxt line 3: bad", errors.ToString());
    }

    [Fact]
    public async Task Serves_on_free_ports_prints_them_and_stops_on_cancel()
    {
        var output = new WatchingWriter("metrics");
        using var stop = new CancellationTokenSource();
        var options = new ServerOptions { HttpPort = 0, GrpcPort = 0, MetricsPort = 0, ModelRepository = Path.GetTempPath(), ServerName = "ovstateful" };
        var run = ServeCommand.RunAsync(options, (_, _, _, _) => Task.FromResult<IModelRegistry>(new EmptyRegistry()), output, TextWriter.Null, stop.Token);
        await Task.WhenAny(output.Seen.Task, run);
        Assert.False(run.IsCompleted, "serve ended before it printed its addresses");

        var http = Cell(output.ToString(), "http_address");
        Assert.DoesNotContain(":0", http);
        using var client = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(http + "/v2/health/live")).StatusCode);
        Assert.Contains("\"name\":\"ovstateful\"", await client.GetStringAsync(http + "/v2"), StringComparison.Ordinal);

        stop.Cancel();
        Assert.Equal(0, await run);
        Assert.Contains("stopping", output.ToString());
    }

    /// <summary>The value cell of a start-up table row: "| http_address | http://127.0.0.1:1234 |".</summary>
    private static string Cell(string log, string row) =>
        log.Split('\n').Single(l => l.StartsWith($"| {row} ", StringComparison.Ordinal)).Split('|', StringSplitOptions.TrimEntries)[2];

    [OrtAvailableFact]
    public async Task Start_up_tables_and_verbose_sequence_and_request_lines()
    {
        var output = new WatchingWriter("serving");
        using var stop = new CancellationTokenSource();
        var options = new ServerOptions { HttpPort = 0, GrpcPort = 0, MetricsPort = 0, ModelRepository = CliRunner.Models, IntraOpThreads = 1 };
        options.Log.Verbose = 1;
        var run = ServeCommand.RunAsync(options, ModelRegistryFactory.CreateAsync, output, TextWriter.Null, stop.Token);
        await Task.WhenAny(output.Seen.Task, run);
        Assert.False(run.IsCompleted, "serve ended before it served");
        var log = output.ToString();
        // The options in force, and a row per model with its engine, slots and state bytes.
        Assert.Equal("1", Cell(log, "intra_op_threads"));
        var accumulate = log.Split('\n').Single(l => l.StartsWith("| accumulate ", StringComparison.Ordinal)).Split('|', StringSplitOptions.TrimEntries);
        Assert.Equal(["accumulate", "1", "onnxruntime"], accumulate[1..4]);
        Assert.Equal("256", accumulate[6]);   // slots: max_candidate_sequences
        Assert.Equal("20", accumulate[7]);    // state bytes per slot: 5 floats
        Assert.Equal("READY", accumulate[10]);

        using var client = new HttpClient { BaseAddress = new Uri(Cell(log, "http_address")) };
        static StringContent Step(bool start, bool end) => new(
            "{\"parameters\":{\"sequence_id\":77,\"sequence_start\":" + (start ? "true" : "false") + ",\"sequence_end\":" + (end ? "true" : "false") + "}," +
            "\"inputs\":[{\"name\":\"Input\",\"datatype\":\"FP32\",\"shape\":[1,4,1,5],\"data\":[" + string.Join(",", Enumerable.Repeat("1", 20)) + "]}]}",
            Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("v2/models/accumulate/infer", Step(true, false))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("v2/models/accumulate/infer", Step(false, true))).StatusCode);
        // A step of a sequence that is not running fails: one verbose line with model, sequence and reason.
        Assert.NotEqual(HttpStatusCode.OK, (await client.PostAsync("v2/models/accumulate/infer", Step(false, false))).StatusCode);

        stop.Cancel();
        Assert.Equal(0, await run);
        log = output.ToString();
        Assert.Matches(@"(?m)^V.* ovs\.sequences\] sequence start: model accumulate, sequence 77$", log);
        Assert.Matches(@"(?m)^V.* ovs\.sequences\] sequence end: model accumulate, sequence 77$", log);
        Assert.Matches(@"(?m)^V.* ovs\.requests\] request failed: model accumulate, sequence 77, InvalidArgument: .+", log);
    }

    [OrtAvailableFact]
    public async Task Exit_on_error_stops_the_start_naming_the_model_that_failed()
    {
        var repo = CliRunner.RepositoryWithABrokenModel();
        try
        {
            var errors = new StringWriter();
            var options = new ServerOptions { HttpPort = 0, GrpcPort = 0, MetricsPort = 0, ModelRepository = repo, IntraOpThreads = 1 };
            Assert.Equal(1, await ServeCommand.RunAsync(options, ModelRegistryFactory.CreateAsync, TextWriter.Null, errors, CancellationToken.None));
            Assert.Contains("failed to load 'broken'", errors.ToString());
            Assert.Contains("max_batch_size", errors.ToString());
        }
        finally
        {
            Directory.Delete(repo, recursive: true);
        }
    }

    [OrtAvailableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Without_exit_on_error_the_others_serve_and_strict_readiness_decides_ready(bool strictReadiness)
    {
        var repo = CliRunner.RepositoryWithABrokenModel();
        try
        {
            var output = new WatchingWriter("serving");
            using var stop = new CancellationTokenSource();
            var options = new ServerOptions { HttpPort = 0, GrpcPort = 0, MetricsPort = 0, ModelRepository = repo, IntraOpThreads = 1, ExitOnError = false, StrictReadiness = strictReadiness };
            var run = ServeCommand.RunAsync(options, ModelRegistryFactory.CreateAsync, output, TextWriter.Null, stop.Token);
            await Task.WhenAny(output.Seen.Task, run);
            Assert.False(run.IsCompleted, "serve ended before it served");
            var log = output.ToString();
            Assert.Contains("few_slots version 1: config: sequence_batching.oldest.max_candidate_sequences: 2 is below max_batch_size 64: accepted, as Triton does", log);
            Assert.Matches("model broken version .* is UNAVAILABLE: .*max_batch_size", log);

            using var client = new HttpClient { BaseAddress = new Uri(Cell(log, "http_address")) };
            Assert.Equal(strictReadiness ? HttpStatusCode.BadRequest : HttpStatusCode.OK, (await client.GetAsync("v2/health/ready")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("v2/models/few_slots/ready")).StatusCode);
            // Triton's default model control (none): clients may not load or unload.
            var refused = await client.PostAsync("v2/repository/models/accumulate/unload", null);
            Assert.NotEqual(HttpStatusCode.OK, refused.StatusCode);
            Assert.Contains("explicit model load / unload is not allowed if polling is enabled", await refused.Content.ReadAsStringAsync());

            stop.Cancel();
            Assert.Equal(0, await run);
        }
        finally
        {
            Directory.Delete(repo, recursive: true);
        }
    }
}
