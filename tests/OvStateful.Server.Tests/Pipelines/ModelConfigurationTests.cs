using System.Net;
using System.Text.Json;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using OvStateful.Server.Tests.Infrastructure;

namespace OvStateful.Server.Tests.Pipelines;

/// <summary>
/// The rest of Triton's model configuration on real ONNX models (pipe-repo's accumulate and
/// scale): model_warmup, instance_group counts and version_policy, each as Triton's docs say.
/// </summary>
public sealed class ModelConfigurationTests
{
    private static string Config(string model) => File.ReadAllText(Path.Combine(PipelineRepository.Source, model, "config.pbtxt"));

    private static InferenceRequest Step(string model, ulong sequence, int value, bool start = false, bool end = false, string? version = null) => new()
    {
        ModelName = model,
        ModelVersion = version,
        SequenceId = sequence == 0 ? default : new SequenceId(sequence),
        SequenceStart = start,
        SequenceEnd = end,
        Inputs = [Tensor.FromArray(model == "scale" ? "X" : "INPUT", DataType.Int32, [1, 1], new[] { value })],
    };

    private static async Task<int> InferAsync(ModelRegistry registry, InferenceRequest request)
    {
        Assert.True(registry.TryGet(request.ModelName, request.ModelVersion, out var model));
        return (await model!.InferAsync(request, CancellationToken.None)).Outputs[0].ToArray<int>()[0];
    }

    private const string Warmup = """
        model_warmup [
          { name: "random" batch_size: 2 count: 3 inputs { key: "INPUT" value: { data_type: TYPE_INT32 dims: [ 1 ] random_data: true } } },
          { name: "file" inputs { key: "INPUT" value: { data_type: TYPE_INT32 dims: [ 1 ] input_data_file: "one.bin" } } }
        ]
        """;

    /// <summary>Warmup runs at load on throwaway sequences: not in the statistics, no slot kept, no state seen by a real sequence.</summary>
    [OrtFact]
    public async Task Warmup_runs_before_ready_on_throwaway_sequences_and_is_not_counted()
    {
        await using var repo = await PipelineRepository.LoadAsync(new Dictionary<string, string>
        {
            ["accumulate/config.pbtxt"] = Config("accumulate") + Warmup,
            ["accumulate/warmup/one.bin"] = "\u0001\0\0\0",
        });
        Assert.Equal("READY ", repo.StateOf("accumulate"));
        Assert.True(repo.Registry.TryGet("accumulate", null, out var model));
        var before = model!.GetStatistics();
        Assert.Equal(0UL, before.InferenceCount);
        Assert.Equal(0UL, before.Success.Count);
        Assert.Equal(0, before.SlotsInUse);
        Assert.Equal(5, await InferAsync(repo.Registry, Step("accumulate", 1, 5, start: true)));
        Assert.Equal(7, await InferAsync(repo.Registry, Step("accumulate", 1, 2, end: true)));
        Assert.Equal(2UL, model.GetStatistics().InferenceCount);
    }

    public static TheoryData<string, string, string> BadWarmups => new()
    {
        // Runs, and the batcher refuses it: the warmup went through the model's request path.
        { "missing input", """model_warmup [ { name: "empty" inputs { key: "NOPE" value: { data_type: TYPE_INT32 dims: [ 1 ] zero_data: true } } } ]""",
          "model_warmup[0] 'empty': 'NOPE' is not an input of model 'accumulate'; its inputs are 'INPUT'" },
        { "wrong type", """model_warmup [ { name: "f" inputs { key: "INPUT" value: { data_type: TYPE_FP32 dims: [ 1 ] zero_data: true } } } ]""",
          "model_warmup[0] 'f': input 'INPUT' is TYPE_FP32, but model 'accumulate' takes TYPE_INT32" },
        { "missing file", """model_warmup [ { name: "g" inputs { key: "INPUT" value: { data_type: TYPE_INT32 dims: [ 1 ] input_data_file: "none.bin" } } } ]""",
          "model_warmup[0] 'g': input_data_file \"none.bin\" not found" },
        { "batch too big", """model_warmup [ { name: "h" batch_size: 9 inputs { key: "INPUT" value: { data_type: TYPE_INT32 dims: [ 1 ] zero_data: true } } } ]""",
          "model_warmup[0] 'h': batch_size 9 is more than max_batch_size 8" },
    };

    [OrtTheory]
    [MemberData(nameof(BadWarmups))]
    public async Task A_failing_warmup_leaves_the_model_unavailable_with_the_reason(string what, string warmup, string reason)
    {
        Assert.NotEmpty(what);
        await using var repo = await PipelineRepository.LoadAsync(new Dictionary<string, string> { ["accumulate/config.pbtxt"] = Config("accumulate") + warmup });
        var state = repo.StateOf("accumulate");
        Assert.StartsWith("UNAVAILABLE ", state);
        Assert.Contains(reason, state);
        Assert.Equal("READY ", repo.StateOf("scale"));
    }

    [OrtFact]
    public async Task A_stateless_warmup_that_the_model_refuses_names_the_step_error()
    {
        // scale has one input X; a warmup without it reaches the request check and fails there.
        await using var repo = await PipelineRepository.LoadAsync(new Dictionary<string, string>
        {
            ["scale/config.pbtxt"] = Config("scale") + """model_warmup [ { name: "none" batch_size: 1 } ]""",
        });
        var state = repo.StateOf("scale");
        Assert.StartsWith("UNAVAILABLE model_warmup[0] 'none' failed: model 'scale': input 'X' is missing", state);
    }

    /// <summary>
    /// Two groups (1 + 2 instances): three engines, each with max_candidate_sequences slots of its
    /// own (Triton's candidates per instance), and every sequence keeps its sum, so none moved
    /// between instances during its life.
    /// </summary>
    [OrtFact]
    public async Task Instance_groups_give_each_instance_its_own_slots_and_a_sequence_stays_on_one()
    {
        await using var repo = await PipelineRepository.LoadAsync(new Dictionary<string, string>
        {
            ["accumulate/config.pbtxt"] = Config("accumulate").Replace("instance_group [ { count: 1 kind: KIND_CPU } ]",
                "instance_group [ { count: 1 kind: KIND_CPU }, { name: \"more\" count: 2 kind: KIND_CPU } ]", StringComparison.Ordinal),
        });
        Assert.True(repo.Registry.TryGet("accumulate", null, out var model));
        Assert.Equal(3, model!.Instances.Count);
        Assert.All(model.Instances, i => Assert.Equal(4, i.Slots));
        Assert.Equal(12, model.GetStatistics().SlotCount);

        const int sequences = 12, steps = 6;
        var sums = new int[sequences];
        for (var k = 0; k < steps; k++)
        {
            var round = Enumerable.Range(0, sequences).Select(s =>
                InferAsync(repo.Registry, Step("accumulate", 1000 + (ulong)s, s * 10 + k, start: k == 0, end: k == steps - 1)));
            var outs = await Task.WhenAll(round);
            for (var s = 0; s < sequences; s++)
            {
                sums[s] += s * 10 + k;
                Assert.Equal(sums[s], outs[s]);
            }
        }
        Assert.Equal(sequences * steps, (int)model.GetStatistics().InferenceCount);
    }

    public static TheoryData<string, string[]> Policies => new()
    {
        { "", ["3"] },
        { "version_policy: { latest: { num_versions: 2 } }", ["2", "3"] },
        { "version_policy: { all: {} }", ["1", "2", "3"] },
        { "version_policy: { specific: { versions: [ 1, 3 ] } }", ["1", "3"] },
    };

    /// <summary>Version folders 1–3 served per policy: the index and metadata list the served versions READY, each serves its own sequences, others are not found.</summary>
    [OrtTheory]
    [MemberData(nameof(Policies))]
    public async Task Version_policy_serves_the_versions_it_selects(string policy, string[] served)
    {
        await using var repo = await PipelineRepository.LoadAsync(
            new Dictionary<string, string> { ["acc3/config.pbtxt"] = Config("accumulate").Replace("name: \"accumulate\"", "name: \"acc3\"", StringComparison.Ordinal) + policy },
            new Dictionary<string, string> { ["acc3"] = "accumulate", ["acc3/2"] = "accumulate/1", ["acc3/3"] = "accumulate/1" });
        await using var server = await TestServer.StartAsync(repo.Registry);
        var index = JsonDocument.Parse(await (await server.Http.PostAsync("/v2/repository/index", null)).Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(served.Select(v => $"{v} READY"), index.EnumerateArray().Where(e => e.GetProperty("name").GetString() == "acc3")
            .Select(e => $"{e.GetProperty("version").GetString()} {e.GetProperty("state").GetString()}"));
        var meta = JsonDocument.Parse(await server.Http.GetStringAsync("/v2/models/acc3")).RootElement;
        Assert.Equal(served, meta.GetProperty("versions").EnumerateArray().Select(v => v.GetString()));

        // Each served version keeps its own sequences: the same id on two versions gives two sums.
        for (var i = 0; i < served.Length; i++) Assert.Equal(10 + i, await InferAsync(repo.Registry, Step("acc3", 42, 10 + i, start: true, version: served[i])));
        for (var i = 0; i < served.Length; i++) Assert.Equal(11 + i, await InferAsync(repo.Registry, Step("acc3", 42, 1, end: true, version: served[i])));
        foreach (var v in new[] { "1", "2", "3" }.Except(served))
        {
            var r = await server.Http.PostAsync($"/v2/models/acc3/versions/{v}/infer", new StringContent("""{"inputs":[{"name":"INPUT","datatype":"INT32","shape":[1,1],"data":[1]}]}"""));
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
            Assert.StartsWith($"Request for unknown model: 'acc3' version {v} is not found", JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        }
        // The default (no version) is the newest served one.
        Assert.Equal(7, await InferAsync(repo.Registry, Step("acc3", 43, 7, start: true, end: true)));
        Assert.True(repo.Registry.TryGet("acc3", null, out var newest));
        Assert.Equal(served[^1], newest!.Version);
    }
}
