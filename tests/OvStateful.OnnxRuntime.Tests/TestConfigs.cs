using OvStateful.Core.Config;
using OvStateful.Core.Tensors;

namespace OvStateful.OnnxRuntime.Tests;

/// <summary>Typed configs of the models the engine tests load.</summary>
internal static class TestConfigs
{
    /// <summary>The conformance accumulate model's config, as its config.pbtxt says it.</summary>
    public static ModelConfig Accumulate(string name, DataType type, int maxBatch = 16) => new()
    {
        Name = name,
        Backend = "stateful",
        MaxBatchSize = maxBatch,
        Input = [new ModelInput { Name = "Input", DataType = type, Dims = [4, -1, 5] }],
        Output = [new ModelOutput { Name = "Output", DataType = type, Dims = [4, -1, 5] }],
        SequenceBatching = new SequenceBatching
        {
            ControlInput =
            [
                new ControlInput { Name = "ResetSequence", Control = [new Control { Kind = ControlKind.SequenceStart, Int32FalseTrue = [0, 1] }] },
                new ControlInput { Name = "EndSequence", Control = [new Control { Kind = ControlKind.SequenceEnd, Int32FalseTrue = [0, 1] }] },
                new ControlInput { Name = "CORRID", Control = [new Control { Kind = ControlKind.SequenceCorrid, DataType = DataType.UInt64 }] },
            ],
        },
        InstanceGroup = [new InstanceGroup { Kind = InstanceKind.Cpu, Count = 1 }],
        Parameters = new() { ["state_pairs"] = "<<<Accumulate_In, Accumulate_Out>>>" },
    };

    public static ModelConfig Silero(int maxBatch = 64) => new()
    {
        Name = "silero_vad",
        MaxBatchSize = maxBatch,
        Input = [new ModelInput { Name = "input", DataType = DataType.Fp32, Dims = [512] }],
        Output = [new ModelOutput { Name = "output", DataType = DataType.Fp32, Dims = [1] }],
        SequenceBatching = new SequenceBatching(),
        InstanceGroup = [new InstanceGroup { Kind = InstanceKind.Cpu }],
        Parameters = new() { ["state_pairs"] = "<<<state, stateN>>>", ["constant_inputs"] = "sr=16000" },
    };

    public static ModelConfig GatherState(int maxBatch = 8) => new()
    {
        Name = "gather_state",
        MaxBatchSize = maxBatch,
        Input = [new ModelInput { Name = "index", DataType = DataType.Int64, Dims = [1] }],
        Output = [new ModelOutput { Name = "Row", DataType = DataType.Fp32, Dims = [4] }],
        SequenceBatching = new SequenceBatching(),
        InstanceGroup = [new InstanceGroup { Kind = InstanceKind.Cpu }],
        Parameters = new() { ["state_pairs"] = "<<<Sum_In, Sum_Out>>>" },
    };
}
