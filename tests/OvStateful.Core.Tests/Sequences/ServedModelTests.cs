using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using static OvStateful.Core.Tests.Sequences.BatcherHarness;

namespace OvStateful.Core.Tests.Sequences;

public class ServedModelTests
{
    private sealed class TestProvider : IEngineProvider
    {
        public List<EngineLoadContext> Loads { get; } = [];
        public int FailAt { get; init; } = -1;
        public List<RunningSumTestEngine> Engines { get; } = [];
        public string Name => "running-sum-test";
        public EngineAvailability Availability => EngineAvailability.Available("in-process test engine");
        public ModelFileSignature Inspect(string modelFile) => throw new NotSupportedException();

        public IStatefulEngine Load(EngineLoadContext context)
        {
            Loads.Add(context);
            if (Loads.Count - 1 == FailAt) throw new EngineException("load failed (test)");
            var e = new RunningSumTestEngine(context.SlotCount, Math.Max(1, context.Config.MaxBatchSize), model: context.Config.Name);
            Engines.Add(e);
            return e;
        }
    }

    private static ModelConfig Config(bool sequence) => new()
    {
        Name = "rs",
        MaxBatchSize = 2,
        InstanceGroup = { new ModelInstanceGroup { Count = 2 } },
        SequenceBatching = sequence ? new ModelSequenceBatching { Oldest = new ModelSequenceBatching.Types.StrategyOldest { MaxCandidateSequences = 3 } } : null,
    };

    private static InferenceRequest Req(float v, ulong id = 0, bool start = false) => new()
    {
        ModelName = "rs",
        SequenceId = new SequenceId(id),
        SequenceStart = start,
        Inputs = [Tensor.FromArray("x", DataType.Fp32, [1, 4], new[] { v, v, v, v })],
    };

    [Fact]
    public async Task Load_makes_one_engine_per_instance_each_with_max_candidate_sequences_slots()
    {
        var provider = new TestProvider();
        await using var model = ServedModel.Load(provider, Config(sequence: true), "1", "/models/rs/1", "/models/rs/1/model.onnx");
        // Triton's candidates are per instance: two instances of 3.
        Assert.Equal([3, 3], provider.Loads.Select(l => l.SlotCount));
        Assert.Equal([0, 1], provider.Loads.Select(l => l.InstanceIndex));
        Assert.True(model.IsReady);
        Assert.Equal("running-sum-test", model.EngineName);
        Assert.Equal(6, model.GetStatistics().SlotCount);
        var r = await Done(model.InferAsync(Req(2, id: 11, start: true), default).AsTask());
        Assert.Equal(new float[] { 2, 2, 2, 2 }, r.Outputs[0].ToArray<float>());
        await model.DisposeAsync();
        Assert.False(model.IsReady);
        Assert.All(provider.Engines, e => Assert.True(e.Disposed));
        Assert.Equal(InferenceErrorKind.Unavailable, (await Fails(model.InferAsync(Req(1, 11), default).AsTask())).Kind);
    }

    [Fact]
    public void A_failed_load_disposes_the_engines_already_loaded_and_rethrows()
    {
        var provider = new TestProvider { FailAt = 1 };
        Assert.Throws<EngineException>(() => ServedModel.Load(provider, Config(sequence: true), "1", "/d", "/d/m.onnx"));
        Assert.Equal(2, provider.Loads.Count);
        Assert.True(Assert.Single(provider.Engines).Disposed);
    }

    [Fact]
    public async Task A_model_without_sequence_batching_runs_each_request_alone_without_an_id()
    {
        var provider = new TestProvider();
        await using var model = ServedModel.Load(provider, Config(sequence: false), "1", "/d", "/d/m.onnx");
        var tasks = Enumerable.Range(1, 40).Select(i => model.InferAsync(Req(i), default).AsTask()).ToArray();
        var results = await Task.WhenAll(tasks).WaitAsync(HangGuard);
        for (var i = 0; i < results.Length; i++)
        {
            // No state carried over: each output is its own input, one step long.
            Assert.Equal(Enumerable.Repeat((float)(i + 1), 4), results[i].Outputs[0].ToArray<float>());
            Assert.Equal(1L, results[i].Outputs[1].ToArray<long>()[0]);
        }
        Assert.All(provider.Engines.SelectMany(e => e.Batches), b => Assert.Single(b));
        var stats = model.GetStatistics();
        Assert.Equal(40UL, stats.Success.Count);
        Assert.Equal(40UL, stats.ExecutionCount);
        Assert.Equal(0, stats.ActiveSequences);
    }
}
