using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.OnnxRuntime;

namespace OvStateful.Bench;

/// <summary>Our ORT engine on Silero VAD v5 (1024 slots, one intra-op thread) and a batch of B continuing steps on scattered slots, warmed up (states are real, not zeros).</summary>
internal static class SileroEngine
{
    public static (IStatefulEngine Engine, StepBatch Batch, byte[] Audio) Load(int batchSize)
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
        var engine = new OnnxRuntimeEngineProvider(new OnnxRuntimeOptions { IntraOpThreads = 1 }).Load(new EngineLoadContext(config, Path.GetDirectoryName(model)!, model, 1024));
        var r = new Random(1);
        var audio = new byte[512 * 4];
        var samples = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(audio.AsSpan());
        for (var i = 0; i < samples.Length; i++) samples[i] = (float)(r.NextDouble() - 0.5);
        var batch = new StepBatch(batchSize, 1, 1);
        for (var b = 0; b < batchSize; b++)
        {
            var e = batch.Add(b * 3 % 1024, StepFlags.None, new SequenceId((ulong)b + 1));
            batch.SetInput(e, 0, audio);
        }
        for (var i = 0; i < 4; i++) engine.Execute(batch);
        return (engine, batch, audio);
    }
}
