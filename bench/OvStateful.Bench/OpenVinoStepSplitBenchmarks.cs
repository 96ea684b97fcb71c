using BenchmarkDotNet.Attributes;

namespace OvStateful.Bench;

/// <summary>
/// Where a batched-mode OpenVINO step's time goes, Silero VAD v6 at batch B through the shim alone
/// (<see cref="RawOpenVinoSilero"/>: input [B, 576], state [2, B, 128], f32; dynamic batch, static
/// at B = 1 as the engine's batch-1 copy): the infer with the state left in the request, against
/// set_state + infer + get_state as batched mode calls them. The engine's own Execute is in
/// OpenVinoVsOrtBenchmarks; ArenaBenchmarks measures the host arena's gather/scatter.
/// </summary>
public class OpenVinoStepSplitBenchmarks
{
    private RawOpenVinoSilero _raw = null!;

    [Params(1, 16, 64, 256)]
    public int Batch { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup() => _raw = new RawOpenVinoSilero(Batch, Threads);

    [Benchmark(Baseline = true, Description = "infer only (state stays in the request)")]
    public void InferOnly() => _raw.InferOnly();

    [Benchmark(Description = "set_state + infer + get_state")]
    public void SetInferGet() => _raw.Step();

    [GlobalCleanup]
    public void Cleanup() => _raw.Dispose();
}
