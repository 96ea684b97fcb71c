using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using static OvStateful.Core.Tests.Sequences.BatcherHarness;

namespace OvStateful.Core.Tests.Sequences;

public class CancellationAndShutdownTests
{
    [Fact]
    public async Task A_cancelled_queued_step_never_runs_and_does_not_advance_the_state()
    {
        await using var h = Create(slotsPerInstance: 1, maxBatch: 1);
        var gate = new ManualResetEventSlim(false);
        h.Engines[0].Gate = gate;
        var first = h.Step(1, 1, start: true);
        h.Engines[0].Entered.Wait(HangGuard);
        using var cts = new CancellationTokenSource();
        var cancelled = h.Step(1, 1000, ct: cts.Token);
        var third = h.Step(1, 10);
        cts.Cancel();
        var ex = await Fails(cancelled);
        Assert.Equal(InferenceErrorKind.Cancelled, ex.Kind);
        Assert.Contains("sequence 1", ex.Message);
        gate.Set();
        await Done(first);
        var r = await Done(third);
        Assert.Equal(new float[] { 11, 13, 15, 17 }, Sum(r));
        Assert.Equal(2, Steps(r));
        Assert.Equal(1UL, h.Batcher.GetStatistics().CancelledCount);
        Assert.Null(h.Batcher.CheckConsistency());
    }

    [Fact]
    public async Task A_cancelled_restart_leaves_the_live_sequence_as_it_was()
    {
        await using var h = Create(slotsPerInstance: 1, maxBatch: 1);
        var gate = new ManualResetEventSlim(false);
        h.Engines[0].Gate = gate;
        var busy = h.Step(1, 50, start: true);
        h.Engines[0].Entered.Wait(HangGuard);
        using var cts = new CancellationTokenSource();
        var restart = h.Step(1, 1000, start: true, ct: cts.Token);
        var after = h.Step(1, 3);
        cts.Cancel();
        await Fails(restart);
        gate.Set();
        await Done(busy);
        var r = await Done(after);
        Assert.Equal(new float[] { 53, 55, 57, 59 }, Sum(r));
        Assert.Equal(2, Steps(r));
    }

    [Fact]
    public async Task A_new_sequences_cancelled_START_passes_its_reset_to_the_next_step()
    {
        await using var h = Create(slotsPerInstance: 2, maxBatch: 1);
        // Leave leftovers in both slots.
        await Done(h.Step(7, 500, start: true));
        await Done(h.Step(8, 600, start: true));
        await Done(h.Step(7, 1, end: true));
        await Done(h.Step(8, 1, end: true));
        var gate = new ManualResetEventSlim(false);
        h.Engines[0].Gate = gate;
        h.Engines[0].Entered.Reset();
        var busy = h.Step(1, 50, start: true);
        h.Engines[0].Entered.Wait(HangGuard);
        using var cts = new CancellationTokenSource();
        var start = h.Step(2, 1000, start: true, ct: cts.Token);
        var after = h.Step(2, 3);
        cts.Cancel();
        await Fails(start);
        gate.Set();
        await Done(busy);
        var r = await Done(after);
        Assert.Equal(h.X(3), Sum(r));
        Assert.Equal(1, Steps(r));
    }

    [Fact]
    public async Task A_backlogged_sequence_whose_only_step_is_cancelled_leaves_nothing_behind()
    {
        await using var h = Create(slotsPerInstance: 1, maxBatch: 1);
        await Done(h.Step(1, 1, start: true));
        using var cts = new CancellationTokenSource();
        var waiting = h.Step(2, 1, start: true, ct: cts.Token);
        await WaitUntil(() => h.Batcher.GetStatistics().BackloggedSequences == 1, "2 backlogged");
        cts.Cancel();
        Assert.Equal(InferenceErrorKind.Cancelled, (await Fails(waiting)).Kind);
        var stats = h.Batcher.GetStatistics();
        Assert.Equal(0, stats.BackloggedSequences);
        Assert.Equal(1, stats.ActiveSequences);
        Assert.Equal(InferenceErrorKind.NotFound, (await Fails(h.Step(2, 1))).Kind);
        Assert.Null(h.Batcher.CheckConsistency());
    }

    [Fact]
    public async Task A_step_cancelled_while_queued_then_END_ends_every_sequence()
    {
        await using var h = Create(slotsPerInstance: 4, maxBatch: 4);
        for (ulong id = 1; id <= 4; id++) await Done(h.Step(id, id, start: true));
        var gate = new ManualResetEventSlim(false);
        h.Engines[0].Gate = gate;
        h.Engines[0].Entered.Reset();
        var running = h.Step(1, 1); // holds the loop, so the steps below wait queued
        h.Engines[0].Entered.Wait(HangGuard);
        using var cts = new CancellationTokenSource();
        var cancelled = Enumerable.Range(1, 4).Select(i => h.Step((ulong)i, 1000, ct: cts.Token)).ToArray();
        var ends = Enumerable.Range(1, 4).Select(i => h.Step((ulong)i, 1, end: true)).ToArray();
        cts.Cancel();
        foreach (var c in cancelled) Assert.Equal(InferenceErrorKind.Cancelled, (await Fails(c)).Kind);
        gate.Set();
        await Done(running);
        for (var i = 0; i < 4; i++)
        {
            var r = await Done(ends[i]);
            var id = i + 1;
            // START x(id), (1's extra step x(1)), END x(1): the cancelled 1000 never counted.
            Assert.Equal(h.X(id).Zip(h.X(1), (a, b) => a + b * (id == 1 ? 2 : 1)), Sum(r));
        }
        Assert.Equal(0, h.Batcher.GetStatistics().ActiveSequences);
        Assert.Null(h.Batcher.CheckConsistency());
    }

    [Fact]
    public async Task New_sequences_whose_only_START_is_cancelled_in_their_slot_leave_nothing_behind()
    {
        await using var h = Create(slotsPerInstance: 5, maxBatch: 1);
        var gate = new ManualResetEventSlim(false);
        h.Engines[0].Gate = gate;
        var running = h.Step(9, 1, start: true);
        h.Engines[0].Entered.Wait(HangGuard);
        using var cts = new CancellationTokenSource();
        // Each gets a free slot at once and waits on its instance's ready list.
        var starts = Enumerable.Range(1, 4).Select(i => h.Step((ulong)i, 1, start: true, ct: cts.Token)).ToArray();
        Assert.Equal(5, h.Batcher.GetStatistics().SlotsInUse);
        cts.Cancel();
        foreach (var s in starts) Assert.Equal(InferenceErrorKind.Cancelled, (await Fails(s)).Kind);
        var stats = h.Batcher.GetStatistics();
        Assert.Equal(1, stats.ActiveSequences);
        Assert.Equal(1, stats.SlotsInUse);
        gate.Set();
        await Done(running);
        // They never started: an END without START is refused, as for any id never started.
        for (ulong id = 1; id <= 4; id++) Assert.Equal(InferenceErrorKind.NotFound, (await Fails(h.Step(id, 1, end: true))).Kind);
        await Done(h.Step(9, 1, end: true));
        Assert.Equal(0, h.Batcher.GetStatistics().ActiveSequences);
        Assert.Null(h.Batcher.CheckConsistency());
    }

    [Fact]
    public async Task An_already_cancelled_token_fails_at_once()
    {
        await using var h = Create();
        var ex = await Fails(h.Step(1, 1, start: true, ct: new CancellationToken(true)));
        Assert.Equal(InferenceErrorKind.Cancelled, ex.Kind);
        Assert.Equal(0, h.Batcher.GetStatistics().ActiveSequences);
    }

    [Fact]
    public async Task Shutdown_fails_queued_steps_lets_the_running_batch_finish_and_never_hangs()
    {
        var h = Create(slotsPerInstance: 1, maxBatch: 1);
        var gate = new ManualResetEventSlim(false);
        h.Engines[0].Gate = gate;
        var running = h.Step(1, 1, start: true);
        h.Engines[0].Entered.Wait(HangGuard);
        var queued = h.Step(1, 2);
        var backlogged = h.Step(2, 2, start: true);
        await WaitUntil(() => h.Batcher.GetStatistics().BackloggedSequences == 1, "2 backlogged");

        var stop = h.Batcher.StopAsync();
        foreach (var t in new[] { queued, backlogged })
        {
            var ex = await Fails(t);
            Assert.Equal(InferenceErrorKind.Unavailable, ex.Kind);
            Assert.Contains("model 'running_sum' is shutting down", ex.Message);
        }
        var late = await Fails(h.Step(3, 1, start: true));
        Assert.Equal(InferenceErrorKind.Unavailable, late.Kind);
        Assert.False(stop.IsCompleted); // the running batch holds it
        gate.Set();
        await stop.WaitAsync(HangGuard);
        Assert.Equal(h.X(1), Sum(await Done(running)));
        await h.DisposeAsync();
    }

    [Fact]
    public async Task Server_shutdown_answers_queued_and_backlogged_steps_with_its_reason()
    {
        await using var h = Create(slotsPerInstance: 1, maxBatch: 1);
        await Done(h.Step(1, 1, start: true)); // holds the only slot, idle
        var backlogged = h.Step(2, 2, start: true);
        await WaitUntil(() => h.Batcher.GetStatistics().BackloggedSequences == 1, "2 backlogged");
        await h.Batcher.StopAsync("the server is shutting down").WaitAsync(HangGuard);
        var ex = await Fails(backlogged);
        Assert.Equal(InferenceErrorKind.Unavailable, ex.Kind);
        Assert.Equal("model 'running_sum': the server is shutting down; the step of sequence 2 was not run and changed nothing", ex.Message);
    }

    [Fact]
    public async Task A_START_whose_deadline_passes_in_the_backlog_fails_saying_why_and_changes_nothing()
    {
        await using var h = Create(slotsPerInstance: 1, maxBatch: 1);
        await Done(h.Step(1, 1, start: true));
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));
        var ex = await Fails(h.Step(2, 2, start: true, ct: deadline.Token));
        Assert.Equal(InferenceErrorKind.Cancelled, ex.Kind);
        Assert.Contains("the step of sequence 2 was cancelled after", ex.Message);
        Assert.Contains("in the backlog, waiting for a slot (all 1 slots are busy and spill is off); it changed nothing", ex.Message);
        Assert.Equal(1, h.Batcher.GetStatistics().ActiveSequences);
        Assert.Equal(InferenceErrorKind.NotFound, (await Fails(h.Step(2, 1))).Kind);
        Assert.Equal(h.X(1).Select(v => v * 2), Sum(await Done(h.Step(1, 1)))); // 1 is untouched
    }

    /// <summary>
    /// The deadline promise, checked for every answer: a step that fails Cancelled (its deadline
    /// passed while it waited) changed nothing; one that answers ran, even when its deadline
    /// passed while it was in the batch. The running sums at the end prove it.
    /// </summary>
    [Fact]
    public async Task Thousands_of_steps_at_1_to_20_ms_deadlines_a_cancelled_step_never_changed_the_state()
    {
        // Twice as many sequences as a batch holds: half of the ready steps wait a 3 ms batch
        // every round, so short deadlines pass while waiting however fast the machine is (with
        // one batch for all, a quiet machine never cancelled a step).
        await using var h = Create(slotsPerInstance: 8, maxBatch: 4, tweak: s => s with { MaxQueueDelay = TimeSpan.FromMilliseconds(1) });
        h.Engines[0].ExecuteTime = TimeSpan.FromMilliseconds(3);
        var outcomes = await Task.WhenAll(Enumerable.Range(1, 8).Select(i => Task.Run(async () =>
        {
            var id = (ulong)i;
            var rng = new Random(18 + i);
            await Done(h.Step(id, 0, start: true));
            float expected = 0;
            int applied = 0, cancelled = 0, late = 0;
            for (var k = 1; k <= 400; k++)
            {
                var deadline = TimeSpan.FromMilliseconds(rng.Next(1, 21));
                using var cts = new CancellationTokenSource(deadline);
                var sent = System.Diagnostics.Stopwatch.StartNew();
                try
                {
                    var sum = Sum(await Done(h.Step(id, k, ct: cts.Token)));
                    expected += k;
                    applied++;
                    if (sent.Elapsed > deadline) late++;
                    Assert.Equal(expected, sum[0]); // each answer shows every applied step and no other
                }
                catch (InferenceException e) when (e.Kind == InferenceErrorKind.Cancelled)
                {
                    cancelled++;
                    Assert.Contains("it changed nothing", e.Message);
                }
            }
            var final = Sum(await Done(h.Step(id, 0, end: true)));
            Assert.Equal(expected, final[0]);
            return (applied, cancelled, late);
        })));
        Assert.True(outcomes.Sum(o => o.applied) > 0 && outcomes.Sum(o => o.cancelled) > 0,
            $"both outcomes should occur: {string.Join(", ", outcomes)}");
        // Every END ended its sequence, whatever was cancelled before it.
        Assert.Equal(0, h.Batcher.GetStatistics().ActiveSequences);
        Assert.Null(h.Batcher.CheckConsistency());
    }

    [Fact]
    public async Task Stopping_an_idle_batcher_twice_completes()
    {
        var h = Create(instances: 2, idle: TimeSpan.FromMilliseconds(20));
        await Done(h.Step(1, 1, start: true));
        await h.Batcher.StopAsync().WaitAsync(HangGuard);
        await h.Batcher.StopAsync().WaitAsync(HangGuard);
        await h.DisposeAsync();
    }
}
