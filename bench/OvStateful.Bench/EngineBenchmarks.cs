using BenchmarkDotNet.Attributes;
using OvStateful.Core.Engines;

namespace OvStateful.Bench;

/// <summary>
/// One Silero VAD v5 step for B sequences: our engine's Execute (gather states, run through
/// the cached IoBinding, scatter states, split outputs per sequence) against a raw ORT run of
/// the same batch with everything already bound (no state movement at all).
/// </summary>
public class EngineBenchmarks
{
    private IStatefulEngine _engine = null!;
    private StepBatch _stepBatch = null!;
    private RawSileroBatch _raw = null!;

    [Params(1, 16, 64, 256)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        (_engine, _stepBatch, var audio) = SileroEngine.Load(Batch);
        // The raw run gets the same audio and a real (non-zero) state, so both sides compute on the same kind of numbers.
        _raw = new RawSileroBatch(Batch, audio, _engine.ExportSlot(0).States[0].Data.ToArray());
    }

    [Benchmark(Baseline = true, Description = "raw ORT RunWithBinding (bound)")]
    public void RawOrt() => _raw.Run();

    [Benchmark(Description = "engine Execute")]
    public void Engine() => _engine.Execute(_stepBatch);

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.Dispose();
        _raw.Dispose();
    }
}
