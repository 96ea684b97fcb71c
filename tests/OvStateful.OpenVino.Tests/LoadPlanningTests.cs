using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Tensors;

namespace OvStateful.OpenVino.Tests;

/// <summary>What the loader asks OpenVINO to do before compiling, and the per-step helpers, without the runtime.</summary>
public class LoadPlanningTests
{
    private static readonly ModelFileSignature Accumulate = new(
        [
            new ModelFileTensor("Input", DataType.Fp32, [4, -1, 5]),
            new ModelFileTensor("ResetSequence", DataType.Int32, [-1, 1]),
            new ModelFileTensor("Accumulate_In", DataType.Fp32, [-1, 5]),
        ],
        [new ModelFileTensor("Output", DataType.Fp32, [4, -1, 5]), new ModelFileTensor("Accumulate_Out", DataType.Fp32, [-1, 5])]);

    // Silero v5 as ONNX declares it: symbolic dims read as -1.
    private static readonly ModelFileSignature Silero = new(
        [
            new ModelFileTensor("input", DataType.Fp32, [-1, -1]),
            new ModelFileTensor("state", DataType.Fp32, [2, -1, 128]),
            new ModelFileTensor("sr", DataType.Int64, []),
        ],
        [new ModelFileTensor("output", DataType.Fp32, [-1, 1]), new ModelFileTensor("stateN", DataType.Fp32, [2, -1, 128])]);

    [Fact]
    public void Batched_mode_leaves_a_model_that_already_fits_alone()
    {
        var plan = ModelPlan.Build(TestConfigs.Conformance("accumulate_fp32"), Accumulate, "/nowhere");
        Assert.Empty(OpenVinoModelLoader.TargetShapes(plan, Accumulate.Inputs, batch: -1));
    }

    [Fact]
    public void Per_slot_mode_fixes_every_batch_axis_to_1_wherever_it_is()
    {
        var plan = ModelPlan.Build(TestConfigs.Conformance("accumulate_fp32"), Accumulate, "/nowhere");
        var shapes = OpenVinoModelLoader.TargetShapes(plan, Accumulate.Inputs, batch: 1).ToDictionary(s => s.Input, s => s.Shape);
        Assert.Equal([4L, 1, 5], shapes["Input"]);
        Assert.Equal([1L, 1], shapes["ResetSequence"]);
        Assert.Equal([1L, 5], shapes["Accumulate_In"]);
    }

    [Fact]
    public void Symbolic_dims_become_concrete_and_the_state_keeps_its_batch_axis_1()
    {
        var plan = ModelPlan.Build(TestConfigs.Example("silero_vad"), Silero, "/nowhere");
        var batched = OpenVinoModelLoader.TargetShapes(plan, Silero.Inputs, batch: -1).ToDictionary(s => s.Input, s => s.Shape);
        Assert.Equal([-1L, 512], batched["input"]);
        Assert.False(batched.ContainsKey("state")); // already [2, -1, 128]
        Assert.False(batched.ContainsKey("sr"));    // the constant is a scalar as declared

        var perSlot = OpenVinoModelLoader.TargetShapes(plan, Silero.Inputs, batch: 1).ToDictionary(s => s.Input, s => s.Shape);
        Assert.Equal([1L, 512], perSlot["input"]);
        Assert.Equal([2L, 1, 128], perSlot["state"]);
    }

    [Theory]
    [InlineData(ControlKind.SequenceStart, StepFlags.Start, 1)]
    [InlineData(ControlKind.SequenceStart, StepFlags.None, 0)]
    [InlineData(ControlKind.SequenceEnd, StepFlags.End, 1)]
    [InlineData(ControlKind.SequenceEnd, StepFlags.Start, 0)]
    [InlineData(ControlKind.SequenceReady, StepFlags.Ready, 1)]
    public void Control_rows_carry_the_configs_false_and_true_values(ControlKind kind, StepFlags flags, int expectTrue)
    {
        var control = new PlannedControl("c", kind, DataType.Int32, [-1, 1], 0, Core.State.BatchAxisLayout.For([-1, 1], 0, DataType.Int32), 7, 9);
        var row = new byte[4];
        StepFeeds.FillControl(control, row, flags, new SequenceId(5));
        Assert.Equal(expectTrue == 1 ? 9 : 7, BitConverter.ToInt32(row));
    }

    [Fact]
    public void The_correlation_id_control_carries_the_full_64_bit_id()
    {
        var control = new PlannedControl("CORRID", ControlKind.SequenceCorrid, DataType.UInt64, [-1, 1], 0, Core.State.BatchAxisLayout.For([-1, 1], 0, DataType.UInt64), 0, 1);
        var row = new byte[8];
        StepFeeds.FillControl(control, row, StepFlags.Ready, new SequenceId(ulong.MaxValue - 1));
        Assert.Equal(ulong.MaxValue - 1, BitConverter.ToUInt64(row));
    }

    [Fact]
    public void A_returned_tensor_of_the_wrong_shape_or_type_is_an_error_naming_both()
    {
        StepFeeds.CheckShape("m", "output", "y", [4, -1, 5], 1, 3, [4, 3, 5], DataType.Fp32, DataType.Fp32);
        var e = Assert.Throws<EngineException>(() => StepFeeds.CheckShape("m", "output", "y", [4, -1, 5], 1, 3, [4, 1, 5], DataType.Fp32, DataType.Fp32));
        Assert.Equal("model \"m\": OpenVINO returned output \"y\" as FP32 [4, 1, 5]; FP32 [4, 3, 5] was expected", e.Message);
        Assert.Throws<EngineException>(() => StepFeeds.CheckShape("m", "state", "s", [-1, 5], 0, 2, [2, 5], DataType.Fp32, DataType.Fp16));
    }

    [Fact]
    public void A_snapshot_that_does_not_fit_is_refused_before_anything_changes()
    {
        StateSpec[] states = [new("state", "stateN", DataType.Fp32, [2, -1, 128], 1)];
        var good = new SlotSnapshot([new Tensor("state", DataType.Fp32, [2, 1, 128], new byte[1024])]);
        Assert.Single(StepFeeds.SnapshotRows("m", 0, states, good));

        var wrongSize = new SlotSnapshot([new Tensor("state", DataType.Fp32, [2, 1, 64], new byte[512])]);
        var e = Assert.Throws<EngineException>(() => StepFeeds.SnapshotRows("m", 3, states, wrongSize));
        Assert.Contains("slot 3", e.Message);
        Assert.Contains("FP32 [2, 1, 128] (1024 bytes) expected", e.Message);
        var missing = new SlotSnapshot([new Tensor("h", DataType.Fp32, [1], new byte[4])]);
        Assert.Contains("no state state", Assert.Throws<EngineException>(() => StepFeeds.SnapshotRows("m", 0, states, missing)).Message);
    }
}
