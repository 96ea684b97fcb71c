using BenchmarkDotNet.Attributes;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;

namespace OvStateful.Bench;

/// <summary>
/// One step of B sequences through each engine's Execute, the same threads for both: the ONNX
/// Runtime engine, the OpenVINO engine in batched mode (states moved in and out with
/// set_state/get_state around one infer) and in per-slot mode (one infer request per slot, B
/// infers). Silero VAD v6 as served (512 new samples + the 64-sample input_context) and gru_counter.
/// </summary>
public class OpenVinoVsOrtBenchmarks
{
    private IStatefulEngine _engine = null!;
    private StepBatch _batch = null!;

    [Params("silero_vad_v6", "gru_counter")]
    public string Model { get; set; } = "";

    [Params("onnxruntime", "openvino:batched", "openvino:per_slot")]
    public string Engine { get; set; } = "";

    [Params(1, 16, 64, 256)]
    public int Batch { get; set; }

    /// <summary>ONNX Runtime intra-op threads = OpenVINO INFERENCE_NUM_THREADS.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        const int slots = 1024;
        _engine = EngineInterleave.Load(Model, Engine, Threads);
        _batch = BenchSteps.Batch(_engine, Batch, slots);
        // A few steps first, so every slot holds a real (non-zero) state.
        for (var i = 0; i < 4; i++) _engine.Execute(_batch);
    }

    [Benchmark(Description = "engine Execute")]
    public void Execute() => _engine.Execute(_batch);

    [GlobalCleanup]
    public void Cleanup() => _engine.Dispose();
}

/// <summary>Batches of seeded inputs over scattered slots, as a loaded server forms them.</summary>
internal static class BenchSteps
{
    public static StepBatch Batch(IStatefulEngine engine, int size, int slots)
    {
        var batch = new StepBatch(size, engine.Inputs.Count, engine.Outputs.Count);
        var r = new Random(1);
        for (var b = 0; b < size; b++)
        {
            // Slots spread over the arena (3 apart), not 0..B-1, so gathers are strided as in a server.
            var e = batch.Add(b * 3 % slots, StepFlags.None, new SequenceId((ulong)b + 1));
            for (var k = 0; k < engine.Inputs.Count; k++)
            {
                var bytes = new byte[engine.Inputs[k].RequestBytes];
                var floats = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan());
                for (var i = 0; i < floats.Length; i++) floats[i] = (float)(r.NextDouble() - 0.5);
                batch.SetInput(e, k, bytes);
            }
        }
        return batch;
    }
}
