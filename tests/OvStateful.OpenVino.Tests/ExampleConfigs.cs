using OvStateful.Core.Config;
using OvStateful.Core.Tensors;

namespace OvStateful.OpenVino.Tests;

/// <summary>Typed configs of the example repository's models (models/*/config.pbtxt), for the suite's own use.</summary>
internal static class ExampleConfigs
{
    /// <summary>models/accumulate: the conformance model rebuilt, ResetSequence a BOOL input fed from START.</summary>
    public static ModelConfig Accumulate() => new()
    {
        Name = "accumulate",
        MaxBatchSize = 64,
        Input = [new ModelInput { Name = "Input", DataType = DataType.Fp32, Dims = [4, -1, 5] }],
        Output = [new ModelOutput { Name = "Output", DataType = DataType.Fp32, Dims = [4, -1, 5] }],
        SequenceBatching = new SequenceBatching
        {
            ControlInput =
            [
                new ControlInput { Name = "ResetSequence", Control = [new Control { Kind = ControlKind.SequenceStart, BoolFalseTrue = [false, true] }] },
                new ControlInput { Name = "EndSequence", Control = [new Control { Kind = ControlKind.SequenceEnd, Int32FalseTrue = [0, 1] }] },
                new ControlInput { Name = "CORRID", Control = [new Control { Kind = ControlKind.SequenceCorrid, DataType = DataType.UInt64 }] },
            ],
        },
        Parameters = new() { ["state_pairs"] = "<<<Accumulate_In, Accumulate_Out>>>" },
    };

    /// <summary>models/gru_counter: two implicit states, one starting from zeros, one from initial_state/counter_start.bin (100).</summary>
    public static ModelConfig GruCounter() => new()
    {
        Name = "gru_counter",
        MaxBatchSize = 64,
        Input = [new ModelInput { Name = "x", DataType = DataType.Fp32, Dims = [8] }],
        Output =
        [
            new ModelOutput { Name = "y", DataType = DataType.Fp32, Dims = [4] },
            new ModelOutput { Name = "step", DataType = DataType.Int64, Dims = [1] },
        ],
        SequenceBatching = new SequenceBatching
        {
            State =
            [
                new SequenceState
                {
                    InputName = "h_in", OutputName = "h_out", DataType = DataType.Fp32, Dims = [16],
                    InitialState = [new InitialState { Name = "h_zero", DataType = DataType.Fp32, Dims = [16], ZeroData = true }],
                },
                new SequenceState
                {
                    InputName = "steps_in", OutputName = "steps_out", DataType = DataType.Int64, Dims = [1],
                    InitialState = [new InitialState { Name = "counter_start", DataType = DataType.Int64, Dims = [1], DataFile = "counter_start.bin" }],
                },
            ],
        },
    };
}
