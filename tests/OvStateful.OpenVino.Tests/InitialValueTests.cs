using System.Runtime.InteropServices;
using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using static OvStateful.OpenVino.Tests.OvHarness;
using static OvStateful.Testing.EngineHarness;

namespace OvStateful.OpenVino.Tests;

/// <summary>
/// Stateful IRs whose ReadValue variables start from the model's own values (make_initial_value_irs.py):
/// a sequence starts there at START and after a reset, in both modes, not from zeros.
/// </summary>
public class InitialValueTests
{
    private static float[] F(byte[] bytes) => MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    private static byte[] B(params float[] v) => MemoryMarshal.AsBytes(v.AsSpan()).ToArray();

    [OpenVinoTheory]
    [MemberData(nameof(OpenVinoModels.Modes), MemberType = typeof(OpenVinoModels))]
    public void Constant_and_shape_computed_initial_values_are_where_sequences_start(OpenVinoMode mode)
    {
        // acc starts at [1, 2, 3] (a constant); seed at 5s (Broadcast(5, ShapeOf(x)), folded at batch 1).
        var m = LocalModels.InitialValueIr("initial_values", "<<<acc, acc_out>>> <<<seed, seed_out>>>", mode);
        using var engine = Load(m, 3);
        var fresh = engine.ExportSlot(1);
        Assert.Equal([1f, 2, 3], F(fresh.States[0].Data.ToArray()));
        Assert.Equal([5f, 5, 5], F(fresh.States[1].Data.ToArray()));

        // y = (acc + x) + 2·seed: first step from the initial values.
        Assert.Equal([1f + 1 + 10, 2 + 2 + 10, 3 + 3 + 10], F(Run(engine, [new Step(1, StepFlags.Start, 1, [B(1, 2, 3)])])[0][0]));
        Assert.Equal([2f + 1 + 20, 4 + 1 + 20, 6 + 1 + 20], F(Run(engine, [new Step(1, 0, 1, [B(1, 1, 1)])])[0][0]));

        // One batch: slot 1 continues, slot 2 starts (from the model's values, whatever slot 2 held).
        var outs = Run(engine, [new Step(1, 0, 1, [B(0, 0, 0)]), new Step(2, StepFlags.Start, 2, [B(0, 0, 0)])]);
        Assert.Equal([3f + 40, 5 + 40, 7 + 40], F(outs[0][0]));
        Assert.Equal([1f + 10, 2 + 10, 3 + 10], F(outs[1][0]));

        engine.ResetSlot(1);
        Assert.Equal([1f, 2, 3], F(engine.ExportSlot(1).States[0].Data.ToArray()));
        Assert.Equal([5f, 5, 5], F(engine.ExportSlot(1).States[1].Data.ToArray()));
    }

    [OpenVinoFact]
    public void An_initial_value_computed_from_inputs_runs_per_slot_and_batched_mode_says_why_not()
    {
        // run starts at x·0 + 7: only the plugin's reset() computes it, from the step's own x.
        var m = LocalModels.InitialValueIr("computed_initial", "<<<run, run_out>>>", OpenVinoMode.PerSlot);
        using (var engine = Load(m, 2))
        {
            Assert.Equal([7f + 1, 7 + 2, 7 + 3], F(Run(engine, [new Step(0, StepFlags.Start, 1, [B(1, 2, 3)])])[0][0]));
            Assert.Equal([8f + 1, 9 + 1, 10 + 1], F(Run(engine, [new Step(0, 0, 1, [B(1, 1, 1)])])[0][0]));
            Assert.Equal([7f + 5, 7 + 5, 7 + 5], F(Run(engine, [new Step(0, StepFlags.Start, 1, [B(5, 5, 5)])])[0][0]));
        }

        var batched = LocalModels.InitialValueIr("computed_initial", "<<<run, run_out>>>", OpenVinoMode.Batched);
        var e = Assert.Throws<EngineException>(() => Load(batched, 2));
        Assert.Contains("variable run's initial value is computed from the model's inputs", e.Message);
        Assert.Contains("openvino_mode per_slot", e.Message);
    }
}
