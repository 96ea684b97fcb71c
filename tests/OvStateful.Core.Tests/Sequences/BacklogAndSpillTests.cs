using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.State;
using static OvStateful.Core.Tests.Sequences.BatcherHarness;

namespace OvStateful.Core.Tests.Sequences;

public class BacklogAndSpillTests
{
    // One spilled running-sum state (4 floats + a step count) as the spill arena keeps it: the state and its record header.
    private static readonly long SlotBytes = new StateRecordLayout(0, 4 * 4 + 8).Size;

    [Fact]
    public async Task New_sequences_wait_in_a_FIFO_backlog_while_every_slot_is_taken()
    {
        await using var h = Create(slotsPerInstance: 1, maxBatch: 1);
        await Done(h.Step(1, 1, start: true));
        var b = h.Step(2, 2, start: true);
        await WaitUntil(() => h.Batcher.GetStatistics().BackloggedSequences == 1, "2 backlogged");
        var c = h.Step(3, 3, start: true);
        await WaitUntil(() => h.Batcher.GetStatistics().BackloggedSequences == 2, "3 backlogged");
        Assert.False(b.IsCompleted);

        await Done(h.Step(1, 1, end: true));
        Assert.Equal(h.X(2), Sum(await Done(b)));
        // 3 arrived after 2, so it still waits: 2 holds the only slot until it ends.
        Assert.False(c.IsCompleted);
        Assert.Equal(1, h.Batcher.GetStatistics().BackloggedSequences);
        await Done(h.Step(2, 0, end: true));
        Assert.Equal(h.X(3), Sum(await Done(c)));
        Assert.Null(h.Batcher.CheckConsistency());
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(1, 2)]
    [InlineData(2, 2)]
    public async Task Spill_then_restore_is_bit_exact_and_invisible_in_the_outputs(int instances, int slotsPerInstance)
    {
        await using var h = Create(instances: instances, slotsPerInstance: slotsPerInstance, maxBatch: slotsPerInstance,
            options: new BatcherOptions { SpillEnabled = true });
        const int sequences = 7, steps = 6;
        var rng = new Random(1234);
        var values = new float[sequences, steps];
        for (var s = 0; s < sequences; s++)
            for (var k = 0; k < steps; k++) values[s, k] = (float)(rng.NextDouble() * 1e3 - 5e2) / 7f;

        // Round-robin over more sequences than slots: every step of every sequence after
        // the first round finds its state spilled by another sequence.
        var got = new InferenceResponse[sequences, steps];
        for (var k = 0; k < steps; k++)
            for (var s = 0; s < sequences; s++)
                got[s, k] = await Done(h.Step((ulong)s + 1, values[s, k], start: k == 0, end: k == steps - 1));

        // Reference: each sequence alone in a fresh engine with one slot.
        for (var s = 0; s < sequences; s++)
        {
            await using var alone = Create(slotsPerInstance: 1, maxBatch: 1);
            for (var k = 0; k < steps; k++)
            {
                var r = await Done(alone.Step(1, values[s, k], start: k == 0, end: k == steps - 1));
                Assert.Equal(r.Outputs[0].Data.ToArray(), got[s, k].Outputs[0].Data.ToArray());
                Assert.Equal(k + 1, Steps(got[s, k]));
            }
        }
        var stats = h.Batcher.GetStatistics();
        Assert.True(stats.SpillCount > 0, "nothing was spilled");
        Assert.True(stats.RestoreCount > 0, "nothing was restored");
        Assert.Equal(0, stats.SpilledSequences);
        Assert.Equal(0, stats.SpilledBytes);
        Assert.Equal(0, stats.BackloggedSequences);
        Assert.Null(h.Batcher.CheckConsistency());
    }

    [Fact]
    public async Task Spill_cap_reached_sends_new_sequences_to_the_backlog_and_loses_nothing()
    {
        await using var h = Create(slotsPerInstance: 1, maxBatch: 1,
            options: new BatcherOptions { SpillEnabled = true, SpillMemoryCapBytes = SlotBytes });
        await Done(h.Step(1, 1, start: true));
        // 2 takes the slot by spilling 1: the cap is now full.
        await Done(h.Step(2, 2, start: true));
        var stats = h.Batcher.GetStatistics();
        Assert.Equal(1, stats.SpilledSequences);
        Assert.Equal(SlotBytes, stats.SpilledBytes);
        // 3 finds no room to spill 2: it waits.
        var c = h.Step(3, 3, start: true);
        await WaitUntil(() => h.Batcher.GetStatistics().BackloggedSequences == 1, "3 backlogged");
        Assert.False(c.IsCompleted);
        await Done(h.Step(2, 0, end: true));
        Assert.Equal(h.X(3), Sum(await Done(c)));
        await Done(h.Step(3, 0, end: true));
        // 1 comes back with its state intact.
        var one = await Done(h.Step(1, 1));
        Assert.Equal(new float[] { 2, 4, 6, 8 }, Sum(one));
        Assert.Equal(2, Steps(one));
        Assert.Null(h.Batcher.CheckConsistency());
    }

    [Fact]
    public async Task A_START_for_a_spilled_sequence_drops_its_host_copy()
    {
        await using var h = Create(slotsPerInstance: 1, maxBatch: 1, options: new BatcherOptions { SpillEnabled = true });
        await Done(h.Step(1, 1, start: true));
        await Done(h.Step(2, 2, start: true)); // spills 1
        await Done(h.Step(2, 2, end: true));
        var restarted = await Done(h.Step(1, 9, start: true));
        Assert.Equal(h.X(9), Sum(restarted));
        Assert.Equal(0, h.Batcher.GetStatistics().SpilledBytes);
        Assert.Equal(0, h.Engines[0].Imports);
    }

    [Fact]
    public async Task An_export_failure_loses_only_the_victim_and_says_so()
    {
        await using var h = Create(slotsPerInstance: 1, maxBatch: 1, options: new BatcherOptions { SpillEnabled = true });
        await Done(h.Step(1, 1, start: true));
        h.Engines[0].FailExports = true;
        Assert.Equal(h.X(2), Sum(await Done(h.Step(2, 2, start: true))));
        var ex = await Fails(h.Step(1, 1));
        Assert.Equal(InferenceErrorKind.NotFound, ex.Kind);
        Assert.Contains("sequence 1", ex.Message);
        Assert.Null(h.Batcher.CheckConsistency());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Past_the_backlog_limit_a_new_sequence_is_refused_at_once_naming_the_limit(bool spill)
    {
        // Spill on but capped at nothing: idle sequences cannot make room either.
        await using var h = Create(slotsPerInstance: 1, maxBatch: 1,
            options: new BatcherOptions { MaxBacklog = 2, SpillEnabled = spill, SpillMemoryCapBytes = 1 });
        await Done(h.Step(1, 1, start: true));
        var waiting = new[] { h.Step(2, 2, start: true), h.Step(3, 3, start: true) };
        await WaitUntil(() => h.Batcher.GetStatistics().BackloggedSequences == 2, "2 and 3 backlogged");
        var refused = await Fails(h.Step(4, 4, start: true));
        Assert.Equal(InferenceErrorKind.ResourceExhausted, refused.Kind);
        Assert.Contains("the backlog is full: 2 sequences already wait for a slot (the limit, MaxBacklog, is 2; all 1 slots are busy and", refused.Message);
        Assert.Contains(spill ? "the spill cap of 1 bytes is reached" : "spill is off", refused.Message);
        Assert.Contains("the step of sequence 4 was not queued and changed nothing", refused.Message);
        Assert.Equal(3, h.Batcher.GetStatistics().ActiveSequences);
        // The others go on as before; 4 is not a sequence.
        await Done(h.Step(1, 0, end: true));
        Assert.Equal(h.X(2), Sum(await Done(waiting[0])));
        await Done(h.Step(2, 0, end: true));
        Assert.Equal(h.X(3), Sum(await Done(waiting[1])));
        Assert.Equal(InferenceErrorKind.NotFound, (await Fails(h.Step(4, 4))).Kind);
        Assert.Null(h.Batcher.CheckConsistency());
    }
}
