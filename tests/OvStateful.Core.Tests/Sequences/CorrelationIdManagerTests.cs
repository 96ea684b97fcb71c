using System.Collections.Concurrent;
using OvStateful.Core.Sequences;
using static OvStateful.Core.Tests.Sequences.BatcherHarness;

namespace OvStateful.Core.Tests.Sequences;

public class CorrelationIdManagerTests
{
    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private long _ticks = 1_000;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => Interlocked.Read(ref _ticks);
        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }

    [Theory]
    [InlineData(CorrelationIdKind.UInt64)]
    [InlineData(CorrelationIdKind.String)]
    public async Task Concurrent_allocation_from_many_threads_never_duplicates(CorrelationIdKind kind)
    {
        var mgr = new CorrelationIdManager();
        var all = new ConcurrentBag<SequenceId>();
        using var go = new ManualResetEventSlim(false);
        var threads = Enumerable.Range(0, 16).Select(_ => Task.Factory.StartNew(() =>
        {
            go.Wait();
            for (var i = 0; i < 2000; i++)
            {
                var id = mgr.Acquire(kind);
                all.Add(id);
                // Release some so released ids and live ones mix.
                if (i % 3 == 0) Assert.True(mgr.Release(id));
            }
        }, TaskCreationOptions.LongRunning)).ToArray();
        go.Set();
        await Task.WhenAll(threads).WaitAsync(HangGuard);
        Assert.Equal(16 * 2000, all.Count);
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.All(all, id => { Assert.False(id.IsNone); Assert.Equal(kind == CorrelationIdKind.String, id.IsString); });
    }

    [Fact]
    public void A_leased_id_is_skipped_after_the_counter_wraps()
    {
        var mgr = new CorrelationIdManager(new CorrelationIdManagerOptions { FirstId = ulong.MaxValue });
        var max = mgr.Acquire();
        Assert.Equal(ulong.MaxValue, max.Number);
        var one = mgr.Acquire();
        Assert.Equal(1UL, one.Number); // 0 is never handed out
        Assert.True(mgr.IsLeased(max) && mgr.IsLeased(one));
    }

    [Fact]
    public void Ids_still_leased_are_skipped_when_the_counter_comes_round_again()
    {
        var mgr = new CorrelationIdManager();
        var one = mgr.Acquire();
        var two = mgr.Acquire();
        var three = mgr.Acquire();
        Assert.True(mgr.Release(two));
        // Pretend the counter went all the way round: 1 and 3 are still leased, 2 is free.
        mgr.NextCandidate = 1;
        Assert.Equal(2UL, mgr.Acquire().Number);
        Assert.Equal(4UL, mgr.Acquire().Number);
        Assert.True(mgr.IsLeased(one) && mgr.IsLeased(three));
    }

    [Fact]
    public void Leases_end_on_release_and_on_the_idle_timeout_unless_touched()
    {
        var clock = new ManualClock();
        var mgr = new CorrelationIdManager(new CorrelationIdManagerOptions { LeaseIdleTimeout = TimeSpan.FromSeconds(10), TimeProvider = clock });
        var a = mgr.Acquire();
        var b = mgr.Acquire();
        var c = mgr.Acquire();
        Assert.True(mgr.Release(a));
        Assert.False(mgr.Release(a));
        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.True(mgr.Touch(b));
        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.True(mgr.IsLeased(b));
        Assert.False(mgr.IsLeased(c));
        Assert.False(mgr.Touch(c));
        Assert.Equal(1, mgr.Count);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(1, mgr.ExpireIdle());
        Assert.Equal(0, mgr.Count);
    }

    [Fact]
    public async Task A_lease_ends_on_its_sequences_END()
    {
        var clock = new ManualClock();
        var mgr = new CorrelationIdManager(new CorrelationIdManagerOptions { LeaseIdleTimeout = TimeSpan.FromSeconds(1), TimeProvider = clock });
        await using var h = Create(options: new BatcherOptions { Observer = mgr });
        var id = mgr.Acquire();
        await Done(h.Step(id.Number, 1, start: true));
        // In use by the batcher: the manager's own idle timeout no longer applies.
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.True(mgr.IsLeased(id));
        await Done(h.Step(id.Number, 1, end: true));
        Assert.False(mgr.IsLeased(id));
        Assert.Equal(0, mgr.Count);
    }

    [Fact]
    public async Task A_lease_ends_when_the_batcher_releases_its_idle_sequence()
    {
        var mgr = new CorrelationIdManager();
        await using var h = Create(idle: TimeSpan.FromMilliseconds(50), options: new BatcherOptions { Observer = mgr });
        var id = mgr.Acquire(CorrelationIdKind.String);
        await Done(h.Batcher.InferAsync(h.Request(id, 1, start: true), default).AsTask());
        await WaitUntil(() => !mgr.IsLeased(id), "lease ended by the batcher's idle timeout");
        Assert.Equal(0, mgr.Count);
    }

    [Fact]
    public void With_a_mark_file_a_restarted_manager_never_hands_out_an_id_again()
    {
        using var folder = new TempDir();
        var options = CorrelationIdManagerOptions.ForServer(folder.Path);
        var before = new CorrelationIdManager(options);
        var issued = Enumerable.Range(0, 5000).Select(_ => before.Acquire().Number).ToList(); // crosses a reserved block
        // A crash: the manager is gone without any goodbye; what it handed out must stay unique.
        var after = new CorrelationIdManager(CorrelationIdManagerOptions.ForServer(folder.Path));
        var next = after.Acquire().Number;
        Assert.True(next > issued.Max(), $"id {next} after the restart is not above the {issued.Max()} issued before it");
        Assert.Equal(issued.Count, issued.Distinct().Count());
    }

    [Fact]
    public void Without_a_state_folder_each_lifetime_starts_at_its_own_random_base()
    {
        var a = new CorrelationIdManager(CorrelationIdManagerOptions.ForServer(null)).Acquire().Number;
        var b = new CorrelationIdManager(CorrelationIdManagerOptions.ForServer(null)).Acquire().Number;
        Assert.True(a >= 1UL << 32 && b >= 1UL << 32, $"bases {a} and {b} are small enough to meet ids a client picked itself");
        Assert.NotEqual(a, b);
    }
}
