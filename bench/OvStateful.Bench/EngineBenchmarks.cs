using BenchmarkDotNet.Attributes;
using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Tensors;
using OvStateful.OnnxRuntime;

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
        var model = Path.Combine(RepoPaths.Root, "models", "silero_vad", "1", "model.onnx");
        var config = ModelConfigParser.Parse("""
            name: "silero_vad"
            max_batch_size: 256
            input [ { name: "input" data_type: TYPE_FP32 dims: [ 512 ] } ]
            output [ { name: "output" data_type: TYPE_FP32 dims: [ 1 ] } ]
            sequence_batching { }
            instance_group [ { kind: KIND_CPU } ]
            parameters [ { key: "state_pairs" value { string_value: "<<<state, stateN>>>" } }, { key: "constant_inputs" value { string_value: "sr=16000" } } ]
            """);
        var options = new OnnxRuntimeOptions { IntraOpThreads = 1 };
        _engine = new OnnxRuntimeEngineProvider(options).Load(new EngineLoadContext(config, Path.GetDirectoryName(model)!, model, 1024));
        var r = new Random(1);
        var audio = new byte[512 * 4];
        r.NextBytes(audio);
        var samples = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(audio.AsSpan());
        for (var i = 0; i < samples.Length; i++) samples[i] = (float)(r.NextDouble() - 0.5);
        _stepBatch = new StepBatch(Batch, 1, 1);
        for (var b = 0; b < Batch; b++)
        {
            var e = _stepBatch.Add(b * 3 % 1024, b == 0 ? StepFlags.None : StepFlags.None, new SequenceId((ulong)b + 1));
            _stepBatch.SetInput(e, 0, audio);
        }

        // The raw run gets the same audio and a real (non-zero) state, so both sides compute on the same kind of numbers.
        for (var i = 0; i < 4; i++) _engine.Execute(_stepBatch);
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
