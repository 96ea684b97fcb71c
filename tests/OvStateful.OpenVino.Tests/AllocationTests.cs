using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using static OvStateful.OpenVino.Tests.OvHarness;

namespace OvStateful.OpenVino.Tests;

/// <summary>A step through the OpenVINO engine allocates no managed memory, in either mode, input_context included.</summary>
public class AllocationTests
{
    [OpenVinoTheory]
    [InlineData("silero_vad_v6", OpenVinoMode.Batched)]
    [InlineData("silero_vad_v6", OpenVinoMode.PerSlot)]
    [InlineData("gru_counter", OpenVinoMode.Batched)]
    [InlineData("gru_counter", OpenVinoMode.PerSlot)]
    public void Execute_allocates_nothing_per_step(string name, OpenVinoMode mode)
    {
        var m = OpenVinoModels.Get(name, mode);
        using var engine = Load(m, 8);
        var r = new Random(4);
        var batch = new StepBatch(4, engine.Inputs.Count, engine.Outputs.Count);
        for (var e = 0; e < 4; e++)
        {
            var entry = batch.Add(e * 2, e == 1 ? StepFlags.Start : StepFlags.None, new SequenceId((ulong)e + 1));
            var inputs = m.MakeInputs(r);
            for (var k = 0; k < inputs.Length; k++) batch.SetInput(entry, k, inputs[k]);
        }
        for (var i = 0; i < 5; i++) engine.Execute(batch); // warm: first calls fill caches
        ThreadAllocation.AssertNoneAcrossBlocks(() => engine.Execute(batch));
    }
}
