using System.Net;
using System.Text;
using System.Text.Json;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using OvStateful.Server.Tests.Infrastructure;

namespace OvStateful.Server.Tests.Pipelines;

/// <summary>
/// Triton's example ensemble `pipe` (its config.pbtxt unchanged: scale x·2, then a running sum
/// per sequence) served over HTTP and gRPC on real ONNX models, answering what real Triton
/// 2.51 answers for the same requests (../shared/triton, seen 2026-12-01): sequence 5 sending
/// 1, 2, 3 gets 2, 6, 12, interleaved sequences keep apart, and a request without a sequence id
/// fails with Triton's words.
/// </summary>
public sealed class PipelineTests
{
    private const string NoCorrelationId = "in ensemble 'pipe', inference request to model 'accumulate' must specify a non-zero or non-empty correlation ID";

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Step(int value, object? sequence, bool start, bool end) =>
        $$"""{"parameters":{{{(sequence is null ? "" : $"\"sequence_id\":{sequence},")}}"sequence_start":{{(start ? "true" : "false")}},"sequence_end":{{(end ? "true" : "false")}}},"inputs":[{"name":"IN","datatype":"INT32","shape":[1,1],"data":[{{value}}]}]}""";

    private static async Task<(HttpStatusCode Status, JsonElement Body)> InferAsync(TestServer server, string model, string body)
    {
        var r = await server.Http.PostAsync($"/v2/models/{model}/infer", Json(body));
        return (r.StatusCode, JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement);
    }

    private static int Out(JsonElement body, string name = "OUT") =>
        body.GetProperty("outputs").EnumerateArray().First(o => o.GetProperty("name").GetString() == name).GetProperty("data")[0].GetInt32();

    [OrtFact]
    public async Task Pipe_answers_over_http_as_triton_does()
    {
        await using var repo = await PipelineRepository.LoadAsync();
        await using var server = await TestServer.StartAsync(repo.Registry);
        var answers = new List<int>();
        for (var k = 1; k <= 3; k++)
        {
            var (status, body) = await InferAsync(server, "pipe", Step(k, 5, k == 1, k == 3));
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("pipe", body.GetProperty("model_name").GetString());
            answers.Add(Out(body));
        }
        Assert.Equal([2, 6, 12], answers);

        var (noId, error) = await InferAsync(server, "pipe", Step(1, null, false, false));
        Assert.Equal(HttpStatusCode.BadRequest, noId);
        Assert.Equal(NoCorrelationId, error.GetProperty("error").GetString());
    }

    [TritonClientFact]
    public async Task Tritons_grpc_client_streams_the_pipe_and_gets_what_triton_answers()
    {
        await using var repo = await PipelineRepository.LoadAsync();
        await using var server = await TestServer.StartAsync(repo.Registry);
        var script = Path.Combine(AppContext.BaseDirectory, "Interop", "pipe_stream.py");
        var (code, output, error) = await PythonScript.RunAsync([script, TritonClientFactAttribute.Wheel, $"127.0.0.1:{server.Server.GrpcPort}"], TimeSpan.FromMinutes(1));
        Assert.True(code == 0, $"{output}\n{error}");
        // Real Triton 2.51's output for the same script (../shared/triton/example-repo).
        Assert.Equal(["5 2", "6 20", "5 6", "6 60", "5 12", "error " + NoCorrelationId], output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [OrtFact]
    public async Task Pipe_is_in_the_index_metadata_statistics_and_metrics()
    {
        await using var repo = await PipelineRepository.LoadAsync();
        await using var server = await TestServer.StartAsync(repo.Registry);
        var index = JsonDocument.Parse(await (await server.Http.PostAsync("/v2/repository/index", null)).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(["accumulate 1 READY", "pipe 1 READY", "scale 1 READY"],
            index.EnumerateArray().Select(e => $"{e.GetProperty("name").GetString()} {e.GetProperty("version").GetString()} {e.GetProperty("state").GetString()}"));

        // Triton's metadata for pipe: {"name":"pipe","versions":["1"],"platform":"ensemble","inputs":[{"name":"IN","datatype":"INT32","shape":[-1,1]}],...}
        var meta = JsonDocument.Parse(await server.Http.GetStringAsync("/v2/models/pipe")).RootElement;
        Assert.Equal("ensemble", meta.GetProperty("platform").GetString());
        Assert.Equal(["1"], meta.GetProperty("versions").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("IN INT32 -1,1", Tensor(meta.GetProperty("inputs")[0]));
        Assert.Equal("OUT INT32 -1,1", Tensor(meta.GetProperty("outputs")[0]));

        for (var k = 1; k <= 3; k++) Assert.Equal(HttpStatusCode.OK, (await InferAsync(server, "pipe", Step(k, 9, k == 1, k == 3))).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await InferAsync(server, "pipe", Step(1, null, false, false))).Status);
        var stats = JsonDocument.Parse(await server.Http.GetStringAsync("/v2/models/pipe/stats")).RootElement.GetProperty("model_stats")[0];
        Assert.Equal(3, stats.GetProperty("inference_count").GetInt64());
        Assert.Equal(3, stats.GetProperty("inference_stats").GetProperty("success").GetProperty("count").GetInt64());
        Assert.Equal(1, stats.GetProperty("inference_stats").GetProperty("fail").GetProperty("count").GetInt64());
        var metrics = await server.Metrics.GetStringAsync("/metrics");
        Assert.Contains("nv_inference_request_success{model=\"pipe\",version=\"1\"} 3", metrics);
        // The composing models count their own steps.
        Assert.Contains("nv_inference_request_success{model=\"accumulate\",version=\"1\"} 3", metrics);

        static string Tensor(JsonElement t) =>
            $"{t.GetProperty("name").GetString()} {t.GetProperty("datatype").GetString()} {string.Join(",", t.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()))}";
    }

    /// <summary>The stateful step runs in accumulate's own batcher: first steps of four sequences sent at once run as one batch of four.</summary>
    [OrtFact]
    public async Task A_stateful_step_batches_across_sequences()
    {
        // A long queue delay with preferred batch 4, so the four concurrent steps meet in one batch.
        await using var repo = await PipelineRepository.LoadAsync(new Dictionary<string, string>
        {
            ["accumulate/config.pbtxt"] = File.ReadAllText(Path.Combine(PipelineRepository.Source, "accumulate", "config.pbtxt"))
                .Replace("oldest { max_candidate_sequences: 4 max_queue_delay_microseconds: 1000 }", "oldest { max_candidate_sequences: 4 preferred_batch_size: [ 4 ] max_queue_delay_microseconds: 5000000 }", StringComparison.Ordinal),
        });
        AssertReady(repo, "pipe");
        Assert.True(repo.Registry.TryGet("pipe", null, out var pipe));
        var steps = Enumerable.Range(0, 4).Select(s => pipe!.InferAsync(Request(100 + (ulong)s, s + 1, start: true), CancellationToken.None).AsTask()).ToList();
        var outs = await Task.WhenAll(steps);
        Assert.Equal([2, 4, 6, 8], outs.Select(o => o.Outputs[0].ToArray<int>()[0]));
        Assert.True(repo.Registry.TryGet("accumulate", null, out var accumulate));
        var stats = accumulate!.GetStatistics();
        Assert.Equal(4UL, stats.InferenceCount);
        Assert.Equal(1UL, stats.ExecutionCount);
        Assert.Equal(4, Assert.Single(stats.BatchStats).BatchSize);
    }

    private static void AssertReady(PipelineRepository repo, string model)
    {
        var state = repo.StateOf(model);
        Assert.True(state == "READY ", $"{model}: {state}");
    }

    private static InferenceRequest Request(ulong sequence, int value, bool start = false, bool end = false, string model = "pipe") => new()
    {
        ModelName = model,
        SequenceId = new SequenceId(sequence),
        SequenceStart = start,
        SequenceEnd = end,
        Inputs = [Tensor.FromArray(model.StartsWith("accumulate", StringComparison.Ordinal) ? "INPUT" : "IN", DataType.Int32, [1, 1], new[] { value })],
    };

    /// <summary>
    /// A chain of stateful accumulate, stateless scale, then a stateful step that refuses uint64
    /// ids: the request fails with that step's error, prefixed as Triton does, naming the
    /// stateful step that had already committed; the steps after the failure did not run.
    /// </summary>
    [OrtFact]
    public async Task A_failing_step_fails_the_request_and_names_the_stateful_steps_that_committed()
    {
        var strAccumulate = File.ReadAllText(Path.Combine(PipelineRepository.Source, "accumulate", "config.pbtxt"))
            .Replace("name: \"accumulate\"", "name: \"accumulate_str\"", StringComparison.Ordinal)
            .Replace("  state [", "  control_input [ { name: \"CORRID\" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_STRING } ] } ]\n  state [", StringComparison.Ordinal);
        const string chain = """
            name: "chain"
            platform: "ensemble"
            max_batch_size: 8
            input [ { name: "IN" data_type: TYPE_INT32 dims: [ 1 ] } ]
            output [ { name: "SUM" data_type: TYPE_INT32 dims: [ 1 ] }, { name: "OUT" data_type: TYPE_INT32 dims: [ 1 ] } ]
            ensemble_scheduling {
              step [
                { model_name: "accumulate" model_version: -1 input_map { key: "INPUT" value: "IN" } output_map { key: "OUTPUT" value: "SUM" } },
                { model_name: "scale" model_version: 1 input_map { key: "X" value: "SUM" } output_map { key: "Y" value: "doubled" } },
                { model_name: "accumulate_str" model_version: -1 input_map { key: "INPUT" value: "doubled" } output_map { key: "OUTPUT" value: "OUT" } }
              ]
            }
            """;
        await using var repo = await PipelineRepository.LoadAsync(
            new Dictionary<string, string> { ["accumulate_str/config.pbtxt"] = strAccumulate, ["chain/config.pbtxt"] = chain, ["chain/1/.keep"] = "" },
            new Dictionary<string, string> { ["accumulate_str"] = "accumulate" });
        AssertReady(repo, "chain");
        Assert.True(repo.Registry.TryGet("chain", null, out var model));
        var e = await Assert.ThrowsAsync<InferenceException>(() => model!.InferAsync(Request(7, 5, start: true, model: "chain"), CancellationToken.None).AsTask());
        Assert.Equal(InferenceErrorKind.InvalidArgument, e.Kind);
        Assert.StartsWith("in ensemble 'chain', model 'accumulate_str' takes string sequence ids", e.Message);
        Assert.EndsWith("[stateful steps already committed for sequence 7: 'accumulate'; step[2] (model 'accumulate_str') and the steps after it did not run]", e.Message);

        // accumulate's state did move on (5), as the message says: its next step adds to it.
        Assert.True(repo.Registry.TryGet("accumulate", null, out var accumulate));
        var next = await accumulate!.InferAsync(Request(7, 1, model: "accumulate"), CancellationToken.None);
        Assert.Equal(6, next.Outputs[0].ToArray<int>()[0]);
    }

    public static TheoryData<string, string, string> BadPipes => new()
    {
        { "missing step model", "model_name: \"accumulate\"", "ensemble_scheduling.step[1].model_name: step model 'acumulate' is not in the repository" },
        { "unmapped tensor", "value: \"doubled\" } output_map { key: \"OUTPUT\"", "ensemble_scheduling.step[1].input_map[\"INPUT\"]: reads \"dubled\", which is neither an ensemble input (\"IN\") nor any step's output (\"OUT\", \"doubled\")" },
        { "cycle", "input_map { key: \"X\" value: \"IN\" }", "the steps form a cycle (step[0] (model 'scale') reads \"OUT\" from step[1], step[1] (model 'accumulate') reads \"doubled\" from step[0])" },
        { "dtype mismatch", "input [ { name: \"IN\" data_type: TYPE_INT32", "ensemble_scheduling.step[0].input_map[\"X\"]: step[0] (model 'scale') takes 'X' as INT32 [1, 1], but tensor \"IN\" (ensemble input 'IN') is FP32 [1, 1]: the data type differs" },
        { "shape mismatch", "output [ { name: \"OUT\" data_type: TYPE_INT32 dims: [ 1 ] } ]", "output[0]: 'OUT' is declared INT32 [1, 2], but step[1] (model 'accumulate')'s output 'OUTPUT' is INT32 [1, 1]: the shape differs" },
    };

    /// <summary>Each mistake is named at load (the ensemble is UNAVAILABLE with the reason), and the composing models still serve.</summary>
    [OrtTheory]
    [MemberData(nameof(BadPipes))]
    public async Task A_bad_pipe_is_unavailable_with_a_reason_naming_the_mistake(string mistake, string original, string expected)
    {
        var config = File.ReadAllText(Path.Combine(PipelineRepository.Source, "pipe", "config.pbtxt"));
        Assert.Contains(original, config);
        var broken = mistake switch
        {
            "missing step model" => config.Replace(original, "model_name: \"acumulate\"", StringComparison.Ordinal),
            "unmapped tensor" => config.Replace(original, "value: \"dubled\" } output_map { key: \"OUTPUT\"", StringComparison.Ordinal),
            "cycle" => config.Replace(original, "input_map { key: \"X\" value: \"OUT\" }", StringComparison.Ordinal).Replace("output [ { name: \"OUT\"", "output [ { name: \"doubled\"", StringComparison.Ordinal),
            "dtype mismatch" => config.Replace("input [ { name: \"IN\" data_type: TYPE_INT32", "input [ { name: \"IN\" data_type: TYPE_FP32", StringComparison.Ordinal),
            _ => config.Replace(original, "output [ { name: \"OUT\" data_type: TYPE_INT32 dims: [ 2 ] } ]", StringComparison.Ordinal),
        };
        await using var repo = await PipelineRepository.LoadAsync(new Dictionary<string, string> { ["pipe/config.pbtxt"] = broken });
        var state = repo.StateOf("pipe");
        Assert.StartsWith("UNAVAILABLE ", state);
        Assert.Contains(expected, state);
        AssertReady(repo, "accumulate");
    }
}
