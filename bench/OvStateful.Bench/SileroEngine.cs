using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Tensors;
using OvStateful.OnnxRuntime;

namespace OvStateful.Bench;

/// <summary>Our ORT engine on Silero VAD v5 (1024 slots, one intra-op thread) and a batch of B continuing steps on scattered slots, warmed up (states are real, not zeros).</summary>
internal static class SileroEngine
{
    public static (IStatefulEngine Engine, StepBatch Batch, byte[] Audio) Load(int batchSize)
    {
        var model = Path.Combine(RepoPaths.Root, "models", "silero_vad", "1", "model.onnx");
        var config = new ModelConfig
        {
            Name = "silero_vad",
            MaxBatchSize = 256,
            Input = [new ModelInput { Name = "input", DataType = DataType.Fp32, Dims = [512] }],
            Output = [new ModelOutput { Name = "output", DataType = DataType.Fp32, Dims = [1] }],
            SequenceBatching = new SequenceBatching(),
            InstanceGroup = [new InstanceGroup { Kind = InstanceKind.Cpu }],
            Parameters = new() { ["state_pairs"] = "<<<state, stateN>>>", ["constant_inputs"] = "sr=16000" },
        };
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
