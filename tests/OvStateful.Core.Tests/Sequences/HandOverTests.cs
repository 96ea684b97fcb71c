using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using static OvStateful.Core.Tests.Sequences.BatcherHarness;

namespace OvStateful.Core.Tests.Sequences;

/// <summary>
/// SequenceBatcher.DetachAsync / Adopt, the slot export and import a cluster's migration uses:
/// a sequence leaves one batcher with its state and continues in another, its outputs those of
/// a run that never moved; the move is counted as a hand-over, never as a spill or restore.
/// </summary>
public class HandOverTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_detached_sequence_continues_bit_exact_in_the_batcher_that_adopts_it(bool spillOnSource)
    {
        // Source: 1 slot, so with spill on one of the three sequences is spilled when detached, the others resident or exported.
        await using var from = Create(slotsPerInstance: spillOnSource ? 1 : 3, maxBatch: 1, options: new BatcherOptions { SpillEnabled = spillOnSource });
        await using var to = Create(slotsPerInstance: 3, maxBatch: 2);
        await using var alone = Create(slotsPerInstance: 3, maxBatch: 1);
        const int steps = 6, moveAfter = 3;
        float V(int s, int k) => (s + 1) * 10.25f - k * 3.5f;
        for (var k = 0; k < moveAfter; k++)
            for (var s = 0; s < 3; s++)
            {
                await Done(from.Step((ulong)s + 1, V(s, k), start: k == 0));
                await Done(alone.Step((ulong)s + 1, V(s, k), start: k == 0));
            }

        for (var s = 0; s < 3; s++)
        {
            var moving = await Done(from.Batcher.DetachAsync(new SequenceId((ulong)s + 1)));
            Assert.NotNull(moving);
            Assert.NotNull(moving!.State);
            to.Batcher.Adopt(moving);
        }
        // Gone from the source: a step there is refused as for a sequence that was never started.
        Assert.Equal(InferenceErrorKind.NotFound, (await Fails(from.Step(1, 1))).Kind);

        for (var k = moveAfter; k < steps; k++)
            for (var s = 0; s < 3; s++)
            {
                var moved = await Done(to.Step((ulong)s + 1, V(s, k), end: k == steps - 1));
                var stayed = await Done(alone.Step((ulong)s + 1, V(s, k), end: k == steps - 1));
                Assert.Equal(Sum(stayed), Sum(moved));
                Assert.Equal(k + 1, Steps(moved));
            }

        var source = from.Batcher.GetStatistics();
        var target = to.Batcher.GetStatistics();
        Assert.Equal((3UL, 0UL), (source.HandOverCount, source.AdoptCount));
        Assert.Equal((0UL, 3UL), (target.HandOverCount, target.AdoptCount));
        // Only the source's own spills (one slot, three sequences) count as spills; the move does not.
        Assert.Equal(0UL, target.SpillCount);
        Assert.Equal(0UL, target.RestoreCount);
        if (!spillOnSource) Assert.Equal(0UL, source.SpillCount);
        Assert.Equal((0, 0L), (source.SlotsInUse, source.SpilledSequences));
        Assert.Null(from.Batcher.CheckConsistency());
        Assert.Null(to.Batcher.CheckConsistency());
    }

    [Fact]
    public async Task Detaching_an_unknown_sequence_gives_nothing_and_adopting_a_live_one_is_refused()
    {
        await using var h = Create();
        Assert.Null(await Done(h.Batcher.DetachAsync(new SequenceId(42))));
        await Done(h.Step(7, 1, start: true));
        var twin = await Done(h.Batcher.DetachAsync(new SequenceId(7)));
        h.Batcher.Adopt(twin!);
        var e = Assert.Throws<InferenceException>(() => h.Batcher.Adopt(twin!));
        Assert.Equal(InferenceErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("sequence 7 is already live here", e.Message);
        // The adopted one is intact: its next step continues from step 1.
        Assert.Equal(2, Steps(await Done(h.Step(7, 1))));
        Assert.Null(h.Batcher.CheckConsistency());
    }
}
