using BenchmarkDotNet.Attributes;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using OvStateful.OnnxRuntime;

namespace OvStateful.Bench;

/// <summary>
/// What the sequence batcher costs on top of the engine, on the accumulate model: S sequences
/// each sending one continuing step through <see cref="ServedModel.InferAsync"/> (route to the
/// slot, queue, form the batch, Execute on the instance thread, copy outputs, complete), against
/// the engine's Execute of the same S-entry batch alone.
/// </summary>
public class BatcherOverheadBenchmarks
{
    private ServedModel _served = null!;
    private IStatefulEngine _engine = null!;
    private StepBatch _batch = null!;
    private InferenceRequest[] _requests = null!;
    private readonly Task<InferenceResponse>[] _pending = new Task<InferenceResponse>[64];

    [Params(1, 16)]
    public int Sequences { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var provider = new OnnxRuntimeEngineProvider(new OnnxRuntimeOptions { IntraOpThreads = 1 });
        var config = AccumulateModel.Config();
        _served = ServedModel.Load(provider, config, "1", AccumulateModel.VersionDirectory, AccumulateModel.File);
        _engine = provider.Load(new EngineLoadContext(config, AccumulateModel.VersionDirectory, AccumulateModel.File, 64));
        var input = Tensor.FromArray("Input", DataType.Fp32, [1, 4, 1, 5], Enumerable.Range(0, 20).Select(i => i * 0.01f).ToArray());
        _requests = new InferenceRequest[Sequences];
        _batch = new StepBatch(Sequences, _engine.Inputs.Count, _engine.Outputs.Count);
        for (var s = 0; s < Sequences; s++)
        {
            var id = new SequenceId((ulong)s + 1);
            // Start each sequence once; the measured steps continue it.
            _served.InferAsync(new InferenceRequest { ModelName = "accumulate", SequenceId = id, SequenceStart = true, Inputs = [input] }, default)
                .AsTask().GetAwaiter().GetResult();
            _requests[s] = new InferenceRequest { ModelName = "accumulate", SequenceId = id, Inputs = [input] };
            var e = _batch.Add(s, StepFlags.None, id);
            _batch.SetInput(e, 0, input.Data);
        }
    }

    [Benchmark(Baseline = true, Description = "engine Execute (batch of S)")]
    public void Execute() => _engine.Execute(_batch);

    [Benchmark(Description = "ServedModel.InferAsync × S (batcher round trip)")]
    public async Task InferAsync()
    {
        for (var s = 0; s < Sequences; s++) _pending[s] = _served.InferAsync(_requests[s], default).AsTask();
        for (var s = 0; s < Sequences; s++) await _pending[s].ConfigureAwait(false);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _served.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _engine.Dispose();
    }
}
