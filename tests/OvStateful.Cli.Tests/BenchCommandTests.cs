using System.Text.Json;
using System.Xml.Linq;
using OvStateful.Core.Serving;
using OvStateful.OnnxRuntime;
using OvStateful.Server.Hosting;

namespace OvStateful.Cli.Tests;

/// <summary>
/// `ovs bench` against a real <see cref="OvsServer"/> started in the test on free ports, serving
/// the example repository through ONNX Runtime (hosted the way the server's own tests host it).
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class BenchCommandTests(BenchCommandTests.ServerFixture server) : IClassFixture<BenchCommandTests.ServerFixture>
{
    public sealed class ServerFixture : IAsyncLifetime
    {
        private ModelRegistry? _registry;
        private OvsServer? _server;

        public string Http => $"http://127.0.0.1:{_server!.HttpPort}";
        public string Grpc => $"http://127.0.0.1:{_server!.GrpcPort}";

        public async Task InitializeAsync()
        {
            if (!new OnnxRuntimeEngineProvider().Availability.IsAvailable) return;
            _registry = new ModelRegistry(CliRunner.Models, [new OnnxRuntimeEngineProvider(new OnnxRuntimeOptions { IntraOpThreads = 1 })]);
            await _registry.LoadAllAsync();
            _server = new OvsServer(_registry, new ServerOptions { HttpPort = 0, GrpcPort = 0, MetricsPort = 0, ShutdownTimeoutSeconds = 5 });
            await _server.StartAsync();
        }

        public async Task DisposeAsync()
        {
            if (_server is not null)
            {
                await _server.StopAsync();
                await _server.DisposeAsync();
            }
            if (_registry is not null) await _registry.DisposeAsync();
        }
    }

    private static (int Exit, string Out, string Err, JsonDocument Json, string Dir) Bench(params string[] args)
    {
        var dir = CliRunner.TempFolder();
        // Exact step counts: one pass, sequences of exactly --steps (perf_analyzer's default varies them by 20%).
        var (exit, output, error) = CliRunner.Run(["bench", "--measurement-mode", "once", "--sequence-length-variation", "0", .. args, "--output", dir]);
        var file = Path.Combine(dir, "bench.json");
        Assert.True(File.Exists(file), $"no bench.json (exit {exit}): {error}{output}");
        return (exit, output, error, JsonDocument.Parse(File.ReadAllText(file)), dir);
    }

    private static JsonElement Result(JsonDocument json) => Assert.Single(json.RootElement.GetProperty("results").EnumerateArray());

    [OrtAvailableFact]
    public void Concurrency_range_measures_each_level_in_turn()
    {
        var (exit, output, error, json, dir) = Bench("--url", server.Grpc, "-i", "grpc", "-m", "accumulate", "--concurrency-range", "1:5:2", "-k", "3", "--sequence-id-start", "5000");
        try
        {
            Assert.True(exit == 0, error + output);
            var results = json.RootElement.GetProperty("results").EnumerateArray().ToList();
            Assert.Equal(["grpc-stream n=1", "grpc-stream n=3", "grpc-stream n=5"], results.Select(r => r.GetProperty("engine").GetString()));
            Assert.Equal([3L, 9, 15], results.Select(r => r.GetProperty("steps_ok").GetInt64()));
            Assert.Equal([1L, 3, 5], results.Select(r => r.GetProperty("clients").GetInt64()));
            Assert.Equal(4, File.ReadAllLines(Path.Combine(dir, "bench.csv")).Length);
            var svg = XDocument.Load(Path.Combine(dir, "bench.svg"));
            var ns = svg.Root!.Name.Namespace;
            // Lines over the levels: throughput (3 points), p50 and p99 (3 each), and latency vs throughput (p50, p99): a marker per point.
            Assert.Equal(15, svg.Descendants(ns + "circle").Count());
            Assert.Equal(5, svg.Descendants(ns + "polyline").Count());
            Assert.Contains(svg.Descendants(ns + "text"), t => t.Value == "concurrent sequences");
            // The server's breakdown of every level, from its statistics.
            Assert.All(results, r => Assert.True(r.GetProperty("server").GetProperty("compute_infer_us").GetDouble() > 0));
            Assert.Equal([3UL, 9, 15], results.Select(r => r.GetProperty("server").GetProperty("inference_count").GetUInt64()));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("1:4", new[] { 1, 2, 3, 4 })]
    [InlineData("2:16:7", new[] { 2, 9, 16 })]
    [InlineData("8:8", new[] { 8 })]
    [InlineData("4", new[] { 4 })]
    public void Concurrency_range_is_start_end_step(string text, int[] levels) => Assert.Equal(levels, Commands.LoadLevels.Concurrency(text));

    [Theory]
    [InlineData("4:x", "is not start[:end[:step]]")]
    [InlineData("4:2", "expected 1 ≤ start ≤ end and step ≥ 1")]
    [InlineData("0:2", "expected 1 ≤ start ≤ end and step ≥ 1")]
    [InlineData("1:1000", "gives more than 64 levels")]
    public void Bad_concurrency_range_says_what_is_expected(string text, string message) =>
        Assert.Contains(message, Assert.Throws<UsageException>(() => Commands.LoadLevels.Concurrency(text)).Message);

    [Theory]
    [InlineData("100", new[] { 100.0 })]
    [InlineData("100:400:100", new[] { 100.0, 200, 300, 400 })]
    [InlineData("0.1:0.3:0.1", new[] { 0.1, 0.2, 0.3 })]
    public void Request_rate_range_takes_fractions_and_lands_on_its_end(string text, double[] levels) => Assert.Equal(levels, Commands.LoadLevels.RequestRate(text));

    [OrtAvailableFact]
    public void Request_rate_mode_writes_perf_analyzers_latency_report()
    {
        var report = Path.Combine(CliRunner.TempFolder(), "pa.csv");
        var (exit, output, error, json, dir) = Bench("-u", server.Grpc, "-i", "grpc", "--streaming", "-m", "accumulate", "--request-rate-range", "200:400:200",
            "--num-of-sequences", "2", "-k", "5", "--sequence-id-range", "7000:7100", "-f", report, "--percentile", "95");
        try
        {
            Assert.True(exit == 0, error + output);
            var results = json.RootElement.GetProperty("results").EnumerateArray().ToList();
            Assert.Equal([200.0, 400], results.Select(r => r.GetProperty("request_rate").GetDouble()));
            Assert.Equal([10L, 10], results.Select(r => r.GetProperty("steps_ok").GetInt64()));
            Assert.Contains("request rate: 200 steps/s asked", output);
            var lines = File.ReadAllLines(report);
            Assert.StartsWith("Request Rate,Inferences/Second,Client Send,Network+Server Send/Recv,Server Queue,", lines[0]);
            Assert.Equal(3, lines.Length);
            Assert.Matches(@"^(200|400),\d", lines[1]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            Directory.Delete(Path.GetDirectoryName(report)!, recursive: true);
        }
    }

    [OrtAvailableFact]
    public void Input_data_streams_play_one_per_sequence_for_as_many_steps_as_they_hold()
    {
        var data = Path.Combine(CliRunner.TempFolder(), "input.json");
        // accumulate's Input is [4, -1, 5] per step: 20 values (the -1 becomes 1).
        string Step(int v) => $"{{\"Input\": [{string.Join(",", Enumerable.Repeat(v, 20))}]}}";
        File.WriteAllText(data, $"{{\"data\": [[{Step(1)}, {Step(2)}, {Step(3)}], [{Step(4)}]]}}");
        var (exit, output, error, json, dir) = Bench("-u", server.Http, "-m", "accumulate", "-n", "2", "--input-data", data, "--sequence-id-start", "8000");
        try
        {
            Assert.True(exit == 0, error + output);
            var r = Result(json);
            Assert.Equal(4, r.GetProperty("steps_ok").GetInt64());
            Assert.Contains("input data (2 stream(s) from input.json)", json.RootElement.GetProperty("input").GetString());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
            Directory.Delete(Path.GetDirectoryName(data)!, recursive: true);
        }
    }

    [Fact]
    public void Streaming_over_http_is_refused_as_perf_analyzer_refuses_it()
    {
        var (exit, _, error) = CliRunner.Run("bench", "-u", "127.0.0.1:1", "-m", "accumulate", "--streaming");
        Assert.Equal(2, exit);
        Assert.Contains("--streaming is only valid with -i grpc", error);
    }

    [OrtAvailableFact]
    public void Http_binary_sends_every_step_without_errors_and_writes_the_three_files()
    {
        var (exit, output, error, json, dir) = Bench("--url", server.Http, "-m", "accumulate", "-n", "3", "-k", "7");
        try
        {
            Assert.True(exit == 0, error + output);
            Assert.Contains("over http (binary tensors)", output);
            Assert.Contains("21 ok, 0 failed", output);
            var r = Result(json);
            Assert.Equal(21, r.GetProperty("steps_sent").GetInt64());
            Assert.Equal(21, r.GetProperty("steps_ok").GetInt64());
            Assert.Equal(3, r.GetProperty("sequences").GetInt64());
            Assert.Empty(r.GetProperty("errors_by_kind").EnumerateObject());
            Assert.True(r.GetProperty("latency_ms").GetProperty("p50_ms").GetDouble() > 0);
            // The server's batch statistics around the run account for exactly these 21 steps.
            var histogram = r.GetProperty("batches").GetProperty("histogram");
            Assert.Equal(21, histogram.EnumerateObject().Sum(p => int.Parse(p.Name) * p.Value.GetInt64()));
            Assert.Contains("server batches", output);
            var csv = File.ReadAllLines(Path.Combine(dir, "bench.csv"));
            Assert.Equal(2, csv.Length);
            Assert.StartsWith("http-binary,true,,3,3,21,21,0,", csv[1]);
            var svg = XDocument.Load(Path.Combine(dir, "bench.svg"));
            Assert.Equal("svg", svg.Root!.Name.LocalName);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [OrtAvailableFact]
    public void Http_json_tensors_on_a_model_with_two_outputs_of_two_types()
    {
        var (exit, output, error, json, dir) = Bench("--url", server.Http, "-m", "gru_counter", "--http-format", "json", "-n", "2", "-k", "5", "--sequence-id-start", "1000");
        Directory.Delete(dir, recursive: true);
        Assert.True(exit == 0, error + output);
        Assert.Equal(10, Result(json).GetProperty("steps_ok").GetInt64());
    }

    [OrtAvailableFact]
    public void Grpc_stream_sends_every_step_without_errors()
    {
        var (exit, output, error, json, dir) = Bench("--url", server.Grpc, "--protocol", "grpc", "-m", "accumulate", "-n", "3", "-k", "7", "--sequence-id-start", "2000");
        Directory.Delete(dir, recursive: true);
        Assert.True(exit == 0, error + output);
        Assert.Contains("over grpc (ModelStreamInfer)", output);
        Assert.Contains("21 ok, 0 failed", output);
        Assert.Equal(21, Result(json).GetProperty("steps_ok").GetInt64());
        Assert.Equal(21, Result(json).GetProperty("batches").GetProperty("histogram").EnumerateObject().Sum(p => int.Parse(p.Name) * p.Value.GetInt64()));
        Assert.Empty(Result(json).GetProperty("errors_by_kind").EnumerateObject());
    }

    [OrtAvailableFact]
    public void Grpc_shared_streams_carry_every_sequence()
    {
        var (exit, output, error, json, dir) = Bench("--url", server.Grpc, "-i", "grpc", "--grpc-streams", "2", "-m", "accumulate", "-n", "6", "-k", "5", "--sequence-id-start", "6000");
        Directory.Delete(dir, recursive: true);
        Assert.True(exit == 0, error + output);
        Assert.Contains("over grpc (ModelStreamInfer, 2 shared streams)", output);
        Assert.Equal(30, Result(json).GetProperty("steps_ok").GetInt64());
        Assert.Equal("grpc-stream-2-streams", Result(json).GetProperty("engine").GetString());
    }

    [Fact]
    public void Grpc_streams_needs_grpc_stream_mode()
    {
        var (exit, output, error) = CliRunner.Run("bench", "--url", "http://127.0.0.1:1", "-m", "accumulate", "--grpc-streams", "4");
        Assert.Equal(2, exit);
        Assert.Contains("--grpc-streams applies to --protocol grpc --grpc-mode stream (got --protocol http)", error + output);
        (exit, output, error) = CliRunner.Run("bench", "--url", "http://127.0.0.1:1", "-i", "grpc", "-m", "accumulate", "--grpc-streams", "0");
        Assert.NotEqual(0, exit);
        Assert.Contains("--grpc-streams expects a whole number of at least 1, not 0", error + output);
    }

    [OrtAvailableFact]
    public void Grpc_unary_sends_every_step_without_errors()
    {
        var (exit, output, error, json, dir) = Bench("--url", server.Grpc, "-i", "grpc", "--grpc-mode", "unary", "-m", "gru_counter", "-n", "2", "-k", "4", "--sequence-id-start", "3000");
        Directory.Delete(dir, recursive: true);
        Assert.True(exit == 0, error + output);
        Assert.Equal(8, Result(json).GetProperty("steps_ok").GetInt64());
    }

    [OrtAvailableFact]
    public void Duration_mode_starts_new_sequences_until_the_time_is_up()
    {
        var (exit, output, error, json, dir) = Bench("--url", server.Grpc, "-i", "grpc", "-m", "accumulate", "-n", "2", "-k", "2", "--duration", "0.5", "--sequence-id-start", "4000");
        Directory.Delete(dir, recursive: true);
        Assert.True(exit == 0, error + output);
        var r = Result(json);
        // Every sequence sends at most --steps (2) steps and the step after the deadline is its END,
        // so the steps are spread over the sequences the clients started, never more than 2 each.
        Assert.True(r.GetProperty("sequences").GetInt64() >= 2);
        Assert.True(r.GetProperty("steps_sent").GetInt64() <= 2 * r.GetProperty("sequences").GetInt64());
        Assert.Equal(r.GetProperty("steps_sent").GetInt64(), r.GetProperty("steps_ok").GetInt64());
        Assert.Equal(0.5, json.RootElement.GetProperty("duration_seconds").GetDouble());
        // The timeline accounts for every successful step.
        var timeline = r.GetProperty("timeline");
        var width = timeline.GetProperty("bucket_seconds").GetDouble();
        var seconds = r.GetProperty("seconds").GetDouble();
        var counted = timeline.GetProperty("steps_per_second").EnumerateArray().Select((v, i) => v.GetDouble() * Math.Min(width, seconds - i * width)).Sum();
        Assert.Equal(r.GetProperty("steps_ok").GetInt64(), Math.Round(counted));
    }

    [OrtAvailableFact]
    public void Failed_steps_are_counted_by_kind_and_fail_the_run()
    {
        // accumulate's CORRID is TYPE_UINT64: string ids are refused at the first step of each sequence.
        var (exit, _, error, json, dir) = Bench("--url", server.Http, "-m", "accumulate", "-n", "2", "-k", "3", "--string-ids");
        Directory.Delete(dir, recursive: true);
        Assert.Equal(1, exit);
        Assert.Contains("2 step(s) failed (http 400: 2)", error);
        var errors = Result(json).GetProperty("errors_by_kind");
        Assert.Equal(2, errors.GetProperty("http 400").GetInt64());

        var (gExit, _, gError, gJson, gDir) = Bench("--url", server.Grpc, "-i", "grpc", "-m", "accumulate", "-n", "2", "-k", "3", "--string-ids");
        Directory.Delete(gDir, recursive: true);
        Assert.Equal(1, gExit);
        Assert.Contains("must be an unsigned 64-bit number", gError);
        Assert.Equal(2, Result(gJson).GetProperty("errors_by_kind").GetProperty("grpc stream error").GetInt64());
    }

    [OrtAvailableFact]
    public void Unknown_model_lists_the_served_models_over_both_protocols()
    {
        var (exit, _, error) = CliRunner.Run("bench", "--url", server.Http, "-m", "acumulate");
        Assert.Equal(2, exit);
        Assert.Contains("does not serve model \"acumulate\"; models there: accumulate, gru_counter, silero_vad", error);
        (exit, _, error) = CliRunner.Run("bench", "--url", server.Grpc, "-i", "grpc", "-m", "acumulate");
        Assert.Equal(2, exit);
        Assert.Contains("does not serve model \"acumulate\"; models there: accumulate, gru_counter, silero_vad", error);
    }

    [Fact]
    public void Unreachable_server_says_so()
    {
        var (exit, _, error) = CliRunner.Run("bench", "--url", "127.0.0.1:1", "-m", "accumulate");
        Assert.Equal(2, exit);
        Assert.Contains("cannot reach http://127.0.0.1:1/", error);
        Assert.Contains("is the server running (ovs serve)", error);
    }
}
