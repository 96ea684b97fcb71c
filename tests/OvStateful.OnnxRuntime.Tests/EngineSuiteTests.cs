using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using static OvStateful.OnnxRuntime.Tests.OrtHarness;
using static OvStateful.Testing.EngineHarness;

namespace OvStateful.OnnxRuntime.Tests;

/// <summary>
/// The engine contract on real models through real ONNX Runtime: batched runs of many
/// sequences equal each sequence run alone (plain ORT, state fed explicitly), slots are
/// reused cleanly, export/import is bit-exact, a failed run changes nothing.
/// </summary>
public class EngineSuiteTests
{
    private sealed record SeqRun(ulong Id, int Length, List<byte[][]> Inputs, List<byte[][]> Outputs)
    {
        public int Slot = -1;
        public int Done;
    }

    [Theory]
    [MemberData(nameof(ModelUnderTest.All), MemberType = typeof(ModelUnderTest))]
    public void Batched_sequences_equal_each_sequence_alone(string name)
    {
        var m = ModelUnderTest.Get(name);
        const int slots = 12, sequences = 30;
        var r = new Random(1234);
        using var engine = Load(m, slots);
        var runs = Enumerable.Range(0, sequences).Select(i => new SeqRun((ulong)(1000 + i), r.Next(1, 10), [], [])).ToList();
        foreach (var s in runs) for (var t = 0; t < s.Length; t++) s.Inputs.Add(m.MakeInputs(r));

        var free = new SortedSet<int>(Enumerable.Range(0, slots));
        var waiting = new Queue<SeqRun>(runs);
        var live = new List<SeqRun>();
        var batchesRun = 0;
        var sizes = new HashSet<int>();
        while (waiting.Count > 0 || live.Count > 0)
        {
            // New sequences start at random times while slots are free.
            while (waiting.Count > 0 && free.Count > 0 && (live.Count == 0 || r.Next(3) == 0))
            {
                var s = waiting.Dequeue();
                s.Slot = free.Min;
                free.Remove(s.Slot);
                live.Add(s);
            }
            var pick = live.OrderBy(_ => r.Next()).Take(r.Next(1, Math.Min(live.Count, engine.MaxBatchSize) + 1)).ToList();
            var steps = pick.Select(s => new Step(s.Slot,
                (s.Done == 0 ? StepFlags.Start : 0) | (s.Done == s.Length - 1 ? StepFlags.End : 0), s.Id, s.Inputs[s.Done])).ToList();
            var outs = Run(engine, steps);
            sizes.Add(pick.Count);
            batchesRun++;
            for (var i = 0; i < pick.Count; i++)
            {
                var s = pick[i];
                s.Outputs.Add(outs[i]);
                if (++s.Done == s.Length)
                {
                    live.Remove(s);
                    free.Add(s.Slot);
                }
            }
        }
        Assert.True(sizes.Count > 3, $"batches of varying composition expected, got sizes {string.Join(",", sizes)}");

        var inferEnd = Core.Config.StatefulParameters.Read(m.Config).InferEndRequests;
        foreach (var s in runs)
        {
            using var alone = new PlainOrtSequence(m.Config, m.ModelFile);
            for (var t = 0; t < s.Length; t++)
            {
                var endOnly = t == s.Length - 1 && t > 0;
                if (endOnly && !inferEnd)
                {
                    // infer_end_requests = 0: the END step is answered without running the model.
                    Assert.All(s.Outputs[t], o => Assert.Empty(o));
                    continue;
                }
                var expected = alone.Step(s.Inputs[t], start: t == 0, corrid: s.Id, end: t == s.Length - 1);
                for (var o = 0; o < expected.Length; o++)
                {
                    Assert.True(expected[o].AsSpan().SequenceEqual(s.Outputs[t][o]),
                        $"{name}: sequence {s.Id} step {t} output {engine.Outputs[o].Name} differs from running it alone");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(ModelUnderTest.All), MemberType = typeof(ModelUnderTest))]
    public void A_slot_reused_after_end_starts_from_the_initial_state(string name)
    {
        var m = ModelUnderTest.Get(name);
        var r = new Random(7);
        using var engine = Load(m, 2);
        for (var t = 0; t < 4; t++) Run(engine, [new Step(0, t == 0 ? StepFlags.Start : t == 3 ? StepFlags.End : 0, 1, m.MakeInputs(r))]);

        var inputs = Enumerable.Range(0, 3).Select(_ => m.MakeInputs(r)).ToList();
        using var alone = new PlainOrtSequence(m.Config, m.ModelFile);
        for (var t = 0; t < 3; t++)
        {
            var got = Run(engine, [new Step(0, t == 0 ? StepFlags.Start : 0, 2, inputs[t])])[0];
            var expected = alone.Step(inputs[t], start: t == 0, corrid: 2);
            for (var o = 0; o < expected.Length; o++) Assert.Equal(expected[o], got[o]);
            var state = engine.ExportSlot(0);
            for (var s = 0; s < state.States.Count; s++) Assert.True(alone.State[s].AsSpan().SequenceEqual(state.States[s].Data.Span), $"{name}: state {state.States[s].Name} differs after step {t}");
        }
    }

    [Theory]
    [MemberData(nameof(ModelUnderTest.All), MemberType = typeof(ModelUnderTest))]
    public void Export_then_import_round_trips_bit_exactly(string name)
    {
        var m = ModelUnderTest.Get(name);
        var r = new Random(99);
        using var a = Load(m, 8);
        using var b = Load(m, 8);
        for (var t = 0; t < 3; t++) Run(a, [new Step(3, t == 0 ? StepFlags.Start : 0, 5, m.MakeInputs(r))]);

        var snapshot = a.ExportSlot(3);
        Assert.Equal(a.States.Count, snapshot.States.Count);
        b.ImportSlot(6, snapshot);
        var again = b.ExportSlot(6);
        for (var s = 0; s < snapshot.States.Count; s++)
        {
            Assert.Equal(snapshot.States[s].Name, again.States[s].Name);
            Assert.True(snapshot.States[s].Data.Span.SequenceEqual(again.States[s].Data.Span));
        }
        // Both continue identically from the moved state.
        var next = m.MakeInputs(r);
        var fromA = Run(a, [new Step(3, 0, 5, next)])[0];
        var fromB = Run(b, [new Step(6, 0, 5, next)])[0];
        for (var o = 0; o < fromA.Length; o++) Assert.Equal(fromA[o], fromB[o]);
    }

    /// <summary>The durable-state hooks: CopySlotState gives ExportSlot's bytes, LoadSlotState moves a state bit-exactly.</summary>
    [Theory]
    [MemberData(nameof(ModelUnderTest.All), MemberType = typeof(ModelUnderTest))]
    public void CopySlotState_and_LoadSlotState_move_a_state_bit_exactly(string name)
    {
        var m = ModelUnderTest.Get(name);
        var r = new Random(18);
        using var a = Load(m, 8);
        using var b = Load(m, 8);
        for (var t = 0; t < 3; t++) Run(a, [new Step(2, t == 0 ? StepFlags.Start : 0, 5, m.MakeInputs(r))]);

        var bytes = new byte[SlotStateBytes.Total(a.States)];
        a.CopySlotState(2, bytes);
        var packed = new byte[bytes.Length];
        SlotStateBytes.Pack(a.States, a.ExportSlot(2), packed);
        Assert.True(packed.AsSpan().SequenceEqual(bytes), $"{name}: CopySlotState differs from ExportSlot");
        b.LoadSlotState(5, bytes);
        var next = m.MakeInputs(r);
        var fromA = Run(a, [new Step(2, 0, 5, next)])[0];
        var fromB = Run(b, [new Step(5, 0, 5, next)])[0];
        for (var o = 0; o < fromA.Length; o++) Assert.Equal(fromA[o], fromB[o]);
        Assert.Throws<EngineException>(() => b.LoadSlotState(5, new byte[bytes.Length + 1]));
    }

    [Fact]
    public void A_failed_run_changes_no_slot_and_fails_only_that_batch()
    {
        var m = ModelUnderTest.Get("gather_state");
        using var engine = Load(m, 4);
        var r = new Random(3);
        Run(engine, Enumerable.Range(0, 4).Select(s => new Step(s, StepFlags.Start, (ulong)s + 1, m.MakeInputs(r))).ToList());
        var before = Enumerable.Range(0, 4).Select(engine.ExportSlot).ToList();

        // Three good steps and one whose index is outside the table: ORT's Gather fails the run.
        var steps = Enumerable.Range(0, 4).Select(s => new Step(s, 0, (ulong)s + 1, s == 2 ? [ModelUnderTest.Longs(99)] : m.MakeInputs(r))).ToList();
        var error = Assert.Throws<EngineException>(() => Run(engine, steps));
        Assert.Contains("gather_state", error.Message);
        Assert.Contains("Gather", error.Message);

        for (var s = 0; s < 4; s++)
        {
            var after = engine.ExportSlot(s);
            Assert.True(before[s].States[0].Data.Span.SequenceEqual(after.States[0].Data.Span), $"slot {s} changed after a failed run");
        }
        // The engine keeps serving: the next good batch runs from the unchanged states.
        var ok = Run(engine, [new Step(0, 0, 1, [ModelUnderTest.Longs(1)])]);
        Assert.Equal(16, ok[0][0].Length);
    }

    [Fact]
    public void End_steps_are_not_inferred_when_infer_end_requests_is_0()
    {
        var m = ModelUnderTest.Get("accumulate_fp32");
        var config = TestConfigs.Conformance("accumulate_fp32");
        config.SetParameter("infer_end_requests", "0");
        using var engine = Load(m, 2, config);
        var r = new Random(1);
        Run(engine, [new Step(0, StepFlags.Start, 1, m.MakeInputs(r))]);
        var before = engine.ExportSlot(0);
        var outs = Run(engine, [new Step(0, StepFlags.End, 1, m.MakeInputs(r)), new Step(1, StepFlags.Start, 2, m.MakeInputs(r))]);
        Assert.Empty(outs[0][0]);
        Assert.Equal(4 * 5 * 4, outs[1][0].Length);
        Assert.True(before.States[0].Data.Span.SequenceEqual(engine.ExportSlot(0).States[0].Data.Span));
    }

    [Fact]
    public void Padding_to_max_batch_gives_the_same_outputs()
    {
        var m = ModelUnderTest.Get("accumulate_fp32");
        var padded = TestConfigs.Conformance("accumulate_fp32");
        padded.SetParameter("always_pad_to_max_batch", "1");
        using var plain = Load(m, 4);
        using var pad = Load(m, 4, padded);
        var r = new Random(5);
        for (var t = 0; t < 3; t++)
        {
            var steps = new List<Step> { new(1, t == 0 ? StepFlags.Start : 0, 1, m.MakeInputs(r)), new(2, t == 0 ? StepFlags.Start : 0, 2, m.MakeInputs(r)) };
            var a = Run(plain, steps);
            var b = Run(pad, steps);
            for (var e = 0; e < 2; e++) Assert.Equal(a[e][0], b[e][0]);
        }
    }
}

public class StoreStatesAsFp16Tests
{
    [Fact]
    public void Silero_with_fp16_states_stays_close_to_fp32_and_halves_state_memory()
    {
        var m = ModelUnderTest.Get("silero_vad");
        var config = TestConfigs.Example("silero_vad");
        config.SetParameter("store_states_as_fp16", "1");
        using var full = (OnnxRuntimeEngine)Load(m, 4);
        using var half = (OnnxRuntimeEngine)Load(m, 4, config);
        var r = new Random(8);
        var maxDiff = 0.0;
        for (var t = 0; t < 6; t++)
        {
            var inputs = m.MakeInputs(r);
            var a = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Run(full, [new Step(1, t == 0 ? StepFlags.Start : 0, 1, inputs)])[0][0]).ToArray();
            var b = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Run(half, [new Step(1, t == 0 ? StepFlags.Start : 0, 1, inputs)])[0][0]).ToArray();
            maxDiff = Math.Max(maxDiff, Math.Abs(a[0] - b[0]));
        }
        Assert.True(maxDiff < 1e-2, $"fp16 states moved the probability by {maxDiff}");
        Assert.Equal(full.StateBytesReserved / 2, half.StateBytesReserved);
        // The stored state really is rounded: it equals its own fp16 rounding.
        var state = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(half.ExportSlot(1).States[0].Data.Span).ToArray();
        Assert.All(state, v => Assert.Equal((float)(Half)v, v));
        Assert.Contains(state, v => v != 0);
    }
}
