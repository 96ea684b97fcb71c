using System.Diagnostics;

namespace OvStateful.Core.Sequences;

// The idle reaper (max_sequence_idle_microseconds): a thread that sleeps until the earliest
// idle deadline, collects the expired sequences under the lock and tells the observer
// outside it. Idle lists are kept in LastActivity order, so only their heads are looked at.
public sealed partial class SequenceBatcher
{
    private readonly ManualResetEventSlim _reaperWake = new(false);
    private readonly TaskCompletionSource _reaperExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Under Lock: when the reaper will look next (long.MaxValue = asleep until woken). A new
    // idle deadline earlier than this sets _reaperSignal so the reaper re-plans.
    private long _reaperWakeAt = long.MaxValue;
    private int _reaperSignal;
    private bool _reaperStarted;

    private void StartReaper()
    {
        _reaperStarted = true;
        var t = new Thread(ReaperLoop) { IsBackground = true, Name = $"ovs-reaper {ModelName}" };
        t.Start();
    }

    private void ReaperLoop()
    {
        var deferred = new DeferredWork();
        try
        {
            while (true)
            {
                _reaperWake.Reset();
                long wakeAt;
                lock (Lock)
                {
                    AssertInvariants();
                    if (_stopping) return;
                    var now = Stopwatch.GetTimestamp();
                    DeferredWork? d = deferred;
                    ReapExpired(_idleResident, now, ref d);
                    ReapExpired(_idleSpilled, now, ref d);
                    wakeAt = Math.Min(Deadline(_idleResident.First), Deadline(_idleSpilled.First));
                    _reaperWakeAt = wakeAt;
                    PublishGauges();
                }
                Flush(deferred);
                FlushSignals();
                if (wakeAt == long.MaxValue)
                {
                    _reaperWake.Wait();
                }
                else
                {
                    var ms = (wakeAt - Stopwatch.GetTimestamp()) * 1000.0 / Stopwatch.Frequency;
                    if (ms > 0) _reaperWake.Wait(TimeSpan.FromMilliseconds(Math.Min(Math.Ceiling(ms), int.MaxValue - 1)));
                }
            }
        }
        finally
        {
            _reaperExited.TrySetResult();
        }
    }

    private void ReapExpired(SequenceList idle, long now, ref DeferredWork? deferred)
    {
        while (idle.First is { } s && s.LastActivity + _idleTicks <= now)
        {
            Debug.Assert(s.IsIdle, $"sequence {s.Id} on the {idle.Kind} list is busy ({s.Phase}, pending {s.PendingCount}, in flight {s.InFlight is not null})");
            RemoveSequence(s, SequenceEndReason.IdleTimeout, ref deferred);
        }
    }

    private long Deadline(Sequence? s) => s is null ? long.MaxValue : s.LastActivity + _idleTicks;
}
