using OvStateful.Core.Config;
using System.Runtime.InteropServices;
using OvStateful.Core.Engines;
using static OvStateful.OpenVino.Tests.OvHarness;
using static OvStateful.Testing.EngineHarness;
using static OvStateful.Testing.ModelUnderTest;

namespace OvStateful.OpenVino.Tests;

/// <summary>
/// The engine contract on real models through real OpenVINO, in both state modes: batched
/// runs of many sequences equal each sequence run alone, slots are reused cleanly, export/import
/// is bit-exact, a failed batch changes nothing. Agreement with ONNX Runtime is in
/// OrtAgreementTests. Skipped (with the finder's reason) where the OpenVINO runtime or the shim
/// is absent, except under OVS_REQUIRE_OPENVINO=1 (CI), where they fail instead.
/// </summary>
public class EngineSuiteTests
{
    private sealed record SeqRun(ulong Id, int Length, List<byte[][]> Inputs, List<byte[][]> Outputs)
    {
        public int Slot = -1;
        public int Done;
    }

    private static byte[][][] RunAlone(ModelUnderTest m, SeqRun s)
    {
        using var alone = Load(m, 1);
        var outs = new byte[s.Length][][];
        for (var t = 0; t < s.Length; t++)
        {
            var flags = (t == 0 ? StepFlags.Start : 0) | (t == s.Length - 1 ? StepFlags.End : 0);
            outs[t] = Run(alone, [new Step(0, flags, s.Id, s.Inputs[t])])[0];
        }
        return outs;
    }

    [OpenVinoTheory]
    [MemberData(nameof(OpenVinoModels.All), MemberType = typeof(OpenVinoModels))]
    public void Batched_sequences_equal_each_sequence_alone(string name, OpenVinoMode mode)
    {
        // Batched mode runs one-row batches on its batch-1 copy, compiled with static shapes: OpenVINO may pick
        // other kernels there, so floats agree within the model's tolerance; integers and per-slot mode bit for bit.
        var m = OpenVinoModels.Get(name, mode);
        BatchedEqualsAlone(m, $"{name} ({mode})", exact: mode == OpenVinoMode.PerSlot);
    }

    [OpenVinoTheory]
    [MemberData(nameof(OpenVinoModels.NamesData), MemberType = typeof(OpenVinoModels))]
    public void Batched_mode_without_its_batch1_copy_equals_each_sequence_alone_bit_for_bit(string name)
    {
        var m = OpenVinoModels.Get(name, OpenVinoMode.Batched);
        m.Config.SetParameter("openvino_static_batch1", "0");
        BatchedEqualsAlone(m, $"{name} (batched, openvino_static_batch1 0)", exact: true);
    }

    private static void BatchedEqualsAlone(ModelUnderTest m, string what, bool exact)
    {
        const int slots = 12, sequences = 30;
        var r = new Random(1234);
        using var engine = Load(m, slots);
        var runs = Enumerable.Range(0, sequences).Select(i => new SeqRun((ulong)(1000 + i), r.Next(1, 10), [], [])).ToList();
        foreach (var s in runs) for (var t = 0; t < s.Length; t++) s.Inputs.Add(m.MakeInputs(r));

        var free = new SortedSet<int>(Enumerable.Range(0, slots));
        var waiting = new Queue<SeqRun>(runs);
        var live = new List<SeqRun>();
        var sizes = new HashSet<int>();
        while (waiting.Count > 0 || live.Count > 0)
        {
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

        var tolerance = exact ? (0, 0, "bit for bit") : OrtAgreementTests.Tolerance(m.Name);
        foreach (var s in runs)
        {
            var expected = RunAlone(m, s);
            for (var t = 0; t < s.Length; t++)
            {
                for (var o = 0; o < expected[t].Length; o++)
                {
                    OrtAgreementTests.Compare(engine.Outputs[o].DataType, s.Outputs[t][o], expected[t][o], tolerance,
                        $"{what}: sequence {s.Id} step {t} output {engine.Outputs[o].Name} against running it alone");
                }
            }
        }
    }

    [OpenVinoTheory]
    [MemberData(nameof(OpenVinoModels.All), MemberType = typeof(OpenVinoModels))]
    public void A_slot_reused_after_end_starts_from_the_initial_state(string name, OpenVinoMode mode)
    {
        var m = OpenVinoModels.Get(name, mode);
        var r = new Random(7);
        using var engine = Load(m, 2);
        using var fresh = Load(m, 2);
        for (var t = 0; t < 4; t++) Run(engine, [new Step(0, t == 0 ? StepFlags.Start : t == 3 ? StepFlags.End : 0, 1, m.MakeInputs(r))]);

        for (var t = 0; t < 3; t++)
        {
            var inputs = m.MakeInputs(r);
            var flags = t == 0 ? StepFlags.Start : 0;
            var got = Run(engine, [new Step(0, flags, 2, inputs)])[0];
            var expected = Run(fresh, [new Step(1, flags, 2, inputs)])[0];
            for (var o = 0; o < expected.Length; o++) Assert.Equal(expected[o], got[o]);
            var a = engine.ExportSlot(0);
            var b = fresh.ExportSlot(1);
            for (var s = 0; s < a.States.Count; s++) Assert.True(b.States[s].Data.Span.SequenceEqual(a.States[s].Data.Span), $"{name}: state {a.States[s].Name} differs after step {t}");
        }
    }

    [OpenVinoTheory]
    [MemberData(nameof(OpenVinoModels.All), MemberType = typeof(OpenVinoModels))]
    public void Export_then_import_round_trips_bit_exactly(string name, OpenVinoMode mode)
    {
        var m = OpenVinoModels.Get(name, mode);
        var other = OpenVinoModels.Get(name, mode == OpenVinoMode.Batched ? OpenVinoMode.PerSlot : OpenVinoMode.Batched);
        var r = new Random(99);
        using var a = Load(m, 8);
        using var b = Load(m, 8);
        using var c = Load(other, 8);
        for (var t = 0; t < 3; t++) Run(a, [new Step(3, t == 0 ? StepFlags.Start : 0, 5, m.MakeInputs(r))]);

        var snapshot = a.ExportSlot(3);
        Assert.Equal(a.States.Count, snapshot.States.Count);
        Assert.Contains(snapshot.States, s => s.Data.Span.IndexOfAnyExcept((byte)0) >= 0); // three steps moved it off zero
        b.ImportSlot(6, snapshot);
        c.ImportSlot(2, snapshot); // and across modes
        foreach (var (engine, slot) in new[] { (b, 6), (c, 2) })
        {
            var again = engine.ExportSlot(slot);
            for (var s = 0; s < snapshot.States.Count; s++)
            {
                Assert.Equal(snapshot.States[s].Name, again.States[s].Name);
                Assert.True(snapshot.States[s].Data.Span.SequenceEqual(again.States[s].Data.Span), $"{name}: state {snapshot.States[s].Name} changed in the move");
            }
        }
        var next = m.MakeInputs(r);
        var fromA = Run(a, [new Step(3, 0, 5, next)])[0];
        var fromB = Run(b, [new Step(6, 0, 5, next)])[0];
        for (var o = 0; o < fromA.Length; o++) Assert.Equal(fromA[o], fromB[o]);
    }

    [OpenVinoTheory]
    [MemberData(nameof(OpenVinoModels.Modes), MemberType = typeof(OpenVinoModels))]
    public void A_batch_OpenVINO_fails_in_the_middle_of_changes_no_slot_and_fails_only_that_batch(OpenVinoMode mode)
    {
        // gather_or_fail's run fails inside OpenVINO for an index outside 0..7. Per-slot mode runs
        // the rows one by one, so rows 0 and 1 have run when row 2 fails: they must get their states back.
        var m = LocalModels.GatherOrFail(mode);
        using var engine = Load(m, 5);
        Run(engine, Enumerable.Range(0, 4).Select(s => new Step(s, StepFlags.Start, (ulong)s + 1, [Longs(s + 1)])).ToList());
        var before = Enumerable.Range(0, 5).Select(engine.ExportSlot).ToList();

        // Slot 0 continues, slot 4 starts, slot 2's index is bad, slot 3 continues.
        var steps = new List<Step>
        {
            new(0, 0, 1, [Longs(3)]), new(4, StepFlags.Start, 5, [Longs(2)]), new(2, 0, 3, [Longs(9)]), new(3, 0, 4, [Longs(1)]),
        };
        var error = Assert.Throws<EngineException>(() => Run(engine, steps));
        Assert.Contains("gather_or_fail", error.Message);
        Assert.Contains("Reshape", error.Message); // OpenVINO's own words reach the caller

        for (var s = 0; s < 5; s++)
        {
            var after = engine.ExportSlot(s);
            Assert.True(before[s].States[0].Data.Span.SequenceEqual(after.States[0].Data.Span), $"slot {s} changed after a failed batch ({mode})");
        }
        // The engine keeps serving: the good steps alone give what they would have.
        var ok = Run(engine, [steps[0], steps[1], steps[3]]);
        Assert.Equal([10f + 30, 11 + 31, 12 + 32, 13 + 33], MemoryMarshal.Cast<byte, float>(engine.ExportSlot(0).States[0].Data.Span).ToArray());
        Assert.Equal([20f, 21, 22, 23], MemoryMarshal.Cast<byte, float>(ok[1][0]).ToArray());
    }

    [OpenVinoTheory]
    [MemberData(nameof(OpenVinoModels.Modes), MemberType = typeof(OpenVinoModels))]
    public void End_steps_are_not_inferred_when_infer_end_requests_is_0(OpenVinoMode mode)
    {
        var m = OpenVinoModels.Get("accumulate_fp32", mode);
        m.Config.SetParameter("infer_end_requests", "0");
        using var engine = Load(m, 2);
        var r = new Random(1);
        Run(engine, [new Step(0, StepFlags.Start, 1, m.MakeInputs(r))]);
        var before = engine.ExportSlot(0);
        var outs = Run(engine, [new Step(0, StepFlags.End, 1, m.MakeInputs(r)), new Step(1, StepFlags.Start, 2, m.MakeInputs(r))]);
        Assert.Empty(outs[0][0]);
        Assert.Equal(4 * 5 * 4, outs[1][0].Length);
        Assert.True(before.States[0].Data.Span.SequenceEqual(engine.ExportSlot(0).States[0].Data.Span));
    }

    [OpenVinoFact]
    public void Repeating_the_same_slots_reuses_the_variables_and_still_sees_resets_imports_and_starts()
    {
        // Batched mode skips set_state when a batch holds the previous batch's slots in order; integers
        // make any stale or missed state visible exactly, against ONNX Runtime.
        var m = OpenVinoModels.Get("accumulate_int32", OpenVinoMode.Batched);
        using var ov = Load(m, 4);
        using var ort = OrtAgreementTests.LoadOrt("accumulate_int32");
        var r = new Random(21);
        var plan = new (int[] Slots, StepFlags[] Flags, Action<IStatefulEngine>? Before)[]
        {
            ([0, 2], [StepFlags.Start, StepFlags.Start], null),
            ([0, 2], [0, 0], null),
            ([0, 2], [0, 0], null),
            ([2, 0], [0, 0], null),                          // same slots, other order
            ([2, 0], [0, 0], e => e.ResetSlot(2)),           // a reset of a held slot
            ([2, 0], [0, 0], null),
            ([2, 0], [StepFlags.Start, 0], null),            // a START among them
            ([2, 0], [0, 0], e => e.ImportSlot(0, e.ExportSlot(3))), // an import into a held slot
            ([2, 0, 1], [0, 0, StepFlags.Start], null),
            ([2, 0, 1], [0, 0, 0], null),
            ([0], [0], null),                                // one row: the batch-1 lane
            ([0], [0], null),
            ([0, 1], [0, 0], null),                          // the batched lane moves slot 0 on...
            ([0], [0], null),                                // ...so the batch-1 lane must set it again
            ([0], [0], e => e.ResetSlot(0)),
        };
        foreach (var (slots, flags, before) in plan)
        {
            before?.Invoke(ov);
            before?.Invoke(ort);
            var steps = slots.Select((s, i) => new Step(s, flags[i], (ulong)s + 1, m.MakeInputs(r))).ToList();
            var a = Run(ov, steps);
            var b = Run(ort, steps);
            for (var e = 0; e < steps.Count; e++) Assert.Equal(b[e][0], a[e][0]);
            for (var s = 0; s < 4; s++) Assert.Equal(ort.ExportSlot(s).States[0].Data.ToArray(), ov.ExportSlot(s).States[0].Data.ToArray());
        }
    }
}
