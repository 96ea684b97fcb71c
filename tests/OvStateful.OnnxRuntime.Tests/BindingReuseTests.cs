using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using static OvStateful.OnnxRuntime.Tests.OrtHarness;
using static OvStateful.Testing.EngineHarness;

namespace OvStateful.OnnxRuntime.Tests;

/// <summary>
/// The bindings made once and reused: batches of consecutive continuing slots read their
/// axis-0 states in place through bindings of their own and give what each sequence alone
/// gives; once every binding a stream of batches needs exists, a step allocates nothing.
/// </summary>
public class BindingReuseTests
{
    [Theory]
    [InlineData("accumulate")]    // state [batch, 5]: read in place
    [InlineData("gru_counter")]   // two states, both batch axis 0
    [InlineData("silero_vad")]    // state [2, batch, 128]: always gathered
    public void Consecutive_slots_give_what_each_sequence_alone_gives(string name)
    {
        var m = ModelUnderTest.Get(name);
        var r = new Random(7);
        var inputs = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, 6).Select(_ => m.MakeInputs(r)).ToList()).ToList();
        using var engine = (OnnxRuntimeEngine)Load(m, 6);
        int[][] rounds = [[0, 1, 2, 3], [0, 1, 2, 3], [1, 2], [0, 1, 2, 3], [3, 0, 2, 1], [0, 1, 2, 3]];
        var done = new int[4];
        var outs = new byte[4][][][];
        for (var i = 0; i < 4; i++) outs[i] = new byte[6][][];
        foreach (var slots in rounds)
        {
            var result = Run(engine, slots.Select(s => new Step(s, done[s] == 0 ? StepFlags.Start : 0, (ulong)s + 1, inputs[s][done[s]])).ToList());
            for (var k = 0; k < slots.Length; k++) outs[slots[k]][done[slots[k]]++] = result[k];
        }
        var readsInPlace = name != "silero_vad";
        Assert.Equal(readsInPlace, engine.InPlaceBindingCount > 0);

        for (var s = 0; s < 4; s++)
        {
            using var alone = new PlainOrtSequence(m.Config, m.ModelFile);
            for (var t = 0; t < done[s]; t++)
            {
                var expected = alone.Step(inputs[s][t], start: t == 0, corrid: (ulong)s + 1);
                for (var o = 0; o < expected.Length; o++)
                    Assert.True(expected[o].AsSpan().SequenceEqual(outs[s][t][o]), $"{name}: slot {s} step {t} output {o} differs from running it alone");
            }
        }
    }

    [Theory]
    [InlineData("accumulate", new[] { 0, 1, 2, 3 })]      // read in place
    [InlineData("accumulate", new[] { 5, 0, 3 })]         // gathered
    [InlineData("silero_vad", new[] { 5, 0, 3, 7 })]      // gathered along axis 1
    [InlineData("accumulate_int32", new[] { 1, 2 })]      // the conformance model, controls and all
    public void A_step_allocates_nothing_once_its_bindings_exist(string name, int[] slots)
    {
        var m = ModelUnderTest.Get(name);
        using var engine = Load(m, 8);
        var batch = new StepBatch(slots.Length, engine.Inputs.Count, engine.Outputs.Count);
        var r = new Random(3);
        var inputs = slots.Select(_ => m.MakeInputs(r)).ToArray();
        void Fill(StepFlags flags)
        {
            batch.Clear();
            for (var i = 0; i < slots.Length; i++)
            {
                var e = batch.Add(slots[i], flags, new SequenceId((ulong)i + 1));
                for (var k = 0; k < inputs[i].Length; k++) batch.SetInput(e, k, inputs[i][k]);
            }
        }
        Fill(StepFlags.Start);
        engine.Execute(batch);
        Fill(StepFlags.None);
        for (var i = 0; i < 3; i++) engine.Execute(batch); // makes this batch's binding

        ThreadAllocation.AssertNoneAcrossBlocks(() => engine.Execute(batch));
    }
}
