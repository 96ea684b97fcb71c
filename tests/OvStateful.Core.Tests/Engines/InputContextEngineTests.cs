using System.Runtime.InteropServices;
using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Tests.Sequences;

namespace OvStateful.Core.Tests.Engines;

/// <summary>
/// input_context's bookkeeping over a deterministic test engine (the real engines run it in the
/// OpenVINO tests' Silero checks): the wrapped engine sees context + new, a sequence starts from
/// zeros, the context follows the slot through reset, export and import, and a failed batch leaves it.
/// </summary>
public class InputContextEngineTests
{
    // The test engine's x is [1, 6]; with a context of 2, clients send [1, 4].
    private static IStatefulEngine Wrapped(int slots = 3)
    {
        var config = new ModelConfig { Name = "running_sum" };
        config.SetParameter("input_context", "x:2");
        return InputContextEngine.Wrap(new RunningSumTestEngine(slots, 4, width: 6), config);
    }

    private static float[] Step(IStatefulEngine engine, int slot, StepFlags flags, params float[] x) => Steps(engine, (slot, flags, x))[0];

    // Each step's "sum" output: the running sum of everything the wrapped engine was fed.
    private static float[][] Steps(IStatefulEngine engine, params (int Slot, StepFlags Flags, float[] X)[] steps)
    {
        var batch = new StepBatch(engine.MaxBatchSize, 1, 2);
        foreach (var (slot, flags, x) in steps) batch.SetInput(batch.Add(slot, flags, new SequenceId((ulong)slot + 1)), 0, MemoryMarshal.AsBytes(x.AsSpan()).ToArray());
        engine.Execute(batch);
        return Enumerable.Range(0, steps.Length).Select(e => MemoryMarshal.Cast<byte, float>(batch.Output(e, 0).Span).ToArray()).ToArray();
    }

    [Fact]
    public void Clients_send_the_new_part_and_the_model_sees_the_last_context_first()
    {
        using var engine = Wrapped();
        Assert.Equal([1L, 4], engine.Inputs[0].RequestShape);
        Assert.Equal(16, engine.Inputs[0].RequestBytes); // what the batcher checks requests against
        Assert.Contains(engine.States, s => s.InputName == "input_context:x" && s.SlotBytes == 8);

        // Fed [0, 0 | 1, 2, 3, 4], then [3, 4 | 5, 6, 7, 8]: the sums show both.
        Assert.Equal([0f, 0, 1, 2, 3, 4], Step(engine, 1, StepFlags.Start, 1, 2, 3, 4));
        Assert.Equal([3f, 4, 6, 8, 10, 12], Step(engine, 1, StepFlags.None, 5, 6, 7, 8));
        // START clears the context even though the slot held one.
        Assert.Equal([0f, 0, 9, 9, 9, 9], Step(engine, 1, StepFlags.Start, 9, 9, 9, 9));
    }

    [Fact]
    public void Slots_keep_their_own_context_in_one_batch()
    {
        using var engine = Wrapped();
        Steps(engine, (0, StepFlags.Start, [1, 1, 1, 7]), (2, StepFlags.Start, [2, 2, 2, 8]));
        var outs = Steps(engine, (2, StepFlags.None, [0, 0, 0, 0]), (0, StepFlags.None, [0, 0, 0, 0]));
        Assert.Equal([2f, 8, 2, 2, 2, 8], outs[0]);
        Assert.Equal([1f, 7, 1, 1, 1, 7], outs[1]);
    }

    [Fact]
    public void The_context_moves_with_export_and_import_and_is_cleared_by_reset()
    {
        using var a = Wrapped();
        using var b = Wrapped();
        Step(a, 0, StepFlags.Start, 1, 2, 3, 4);
        var snapshot = a.ExportSlot(0);
        var context = Assert.Single(snapshot.States, s => s.Name == "input_context:x");
        Assert.Equal([3f, 4], context.ToArray<float>());
        Assert.Equal([1L, 2], context.Shape);

        b.ImportSlot(2, snapshot);
        Assert.Equal(Step(a, 0, StepFlags.None, 1, 1, 1, 1), Step(b, 2, StepFlags.None, 1, 1, 1, 1));

        a.ResetSlot(0);
        Assert.Equal([0f, 0], Assert.Single(a.ExportSlot(0).States, s => s.Name == "input_context:x").ToArray<float>());
    }

    [Fact]
    public void A_snapshot_without_the_context_or_of_the_wrong_size_is_refused_and_changes_nothing()
    {
        using var engine = Wrapped();
        Step(engine, 0, StepFlags.Start, 1, 2, 3, 4);
        var before = engine.ExportSlot(0);
        var without = new SlotSnapshot(before.States.Where(s => s.Name != "input_context:x").ToArray());
        Assert.Contains("no input_context:x", Assert.Throws<EngineException>(() => engine.ImportSlot(0, without)).Message);
        var wrong = new SlotSnapshot(before.States.Select(s => s.Name == "input_context:x" ? s with { Data = new byte[4] } : s).ToArray());
        Assert.Contains("8 bytes) expected", Assert.Throws<EngineException>(() => engine.ImportSlot(0, wrong)).Message);
        Assert.Equal([3f, 4], Assert.Single(engine.ExportSlot(0).States, s => s.Name == "input_context:x").ToArray<float>());
    }

    [Fact]
    public void A_failed_batch_or_a_wrong_length_leaves_every_context_as_it_was()
    {
        using var engine = Wrapped();
        // Slot 2's context becomes [NaN, 4]; the test engine fails any batch whose first fed value is NaN.
        Steps(engine, (0, StepFlags.Start, [1, 2, 3, 4]), (1, StepFlags.Start, [5, 6, 7, 8]), (2, StepFlags.Start, [0, 0, float.NaN, 4]));
        Assert.Throws<EngineException>(() => Steps(engine, (0, StepFlags.None, [9, 9, 9, 9]), (2, StepFlags.None, [0, 0, 0, 0])));
        var e = Assert.Throws<EngineException>(() => Steps(engine, (1, StepFlags.None, [9, 9, 9, 9]), (0, StepFlags.None, [9, 9, 9])));
        Assert.Contains("input \"x\" of sequence 1 has 12 bytes; 16 expected (FP32 [1, 4])", e.Message);
        var outs = Steps(engine, (0, StepFlags.None, [0, 0, 0, 0]), (1, StepFlags.None, [0, 0, 0, 0]));
        Assert.Equal([3f, 4, 1, 2, 3, 4], outs[0]);
        Assert.Equal([7f, 8, 5, 6, 7, 8], outs[1]);
    }

    [Fact]
    public void Without_the_parameter_the_engine_is_not_wrapped_and_bad_names_are_refused()
    {
        var inner = new RunningSumTestEngine(1, 1, width: 6);
        Assert.Same(inner, InputContextEngine.Wrap(inner, new ModelConfig { Name = "m" }));
        var config = new ModelConfig { Name = "m" };
        config.SetParameter("input_context", "y:2");
        var e = Assert.Throws<EngineException>(() => InputContextEngine.Wrap(new RunningSumTestEngine(1, 1, width: 6), config));
        Assert.Contains("input_context names \"y\"", e.Message);
    }
}
