namespace OvStateful.Core.Sequences;

/// <summary>
/// Decides when an instance runs a batch and how big it is. One per instance, called
/// under the batcher's lock (pure arithmetic, no foreign code).
/// </summary>
internal interface IBatchPolicy
{
    /// <summary>
    /// <paramref name="ready"/> sequences have a step ready; the oldest was queued at
    /// <paramref name="oldestQueuedAt"/>. Returns how many to run now (0 = wait), and when
    /// waiting, the timestamp at which to decide again (<see cref="long.MaxValue"/> = until woken).
    /// </summary>
    int Decide(int ready, int capacity, long oldestQueuedAt, long now, out long decideAgainAt);

    /// <summary>Whether batch rows are slots (Triton's direct strategy: row r is slot r, gaps padded with READY false).</summary>
    bool RowsAreSlots => false;
}

/// <summary>Triton's oldest strategy: full batch, or a preferred size, or the oldest step waited max_queue_delay.</summary>
internal sealed class OldestBatchPolicy(IReadOnlyList<int> preferredAscending, long maxDelayTicks) : IBatchPolicy
{
    public int Decide(int ready, int capacity, long oldestQueuedAt, long now, out long decideAgainAt)
    {
        decideAgainAt = long.MaxValue;
        if (ready == 0) return 0;
        var n = Math.Min(ready, capacity);
        if (n == capacity || now - oldestQueuedAt >= maxDelayTicks) return n;
        // The largest preferred size that can be formed now.
        for (var i = preferredAscending.Count - 1; i >= 0; i--)
        {
            if (preferredAscending[i] <= n) return preferredAscending[i];
        }
        decideAgainAt = oldestQueuedAt + maxDelayTicks;
        return 0;
    }
}

/// <summary>
/// Triton's direct strategy (sequence_batch_scheduler.cc, DirectSequenceBatch): every slot with a
/// step ready runs, in its own row (<see cref="RowsAreSlots"/>). A partial batch waits only when
/// both max_queue_delay_microseconds and minimum_slot_utilization are set: it runs once the ready
/// slots reach that fraction of the slots (max_batch_size per instance) or the oldest step has
/// waited the delay. With either at 0, whatever is ready runs at once.
/// </summary>
internal sealed class DirectBatchPolicy : IBatchPolicy
{
    // Invariant: 1 <= _threshold; ready slots at or above it run at once.
    private readonly int _threshold;
    private readonly long _maxDelayTicks;

    public DirectBatchPolicy(double minimumSlotUtilization, int slotCount, long maxDelayTicks)
    {
        _threshold = maxDelayTicks <= 0 ? 1 : Math.Max(1, (int)Math.Ceiling(minimumSlotUtilization * slotCount));
        _maxDelayTicks = maxDelayTicks;
    }

    public bool RowsAreSlots => true;

    public int Decide(int ready, int capacity, long oldestQueuedAt, long now, out long decideAgainAt)
    {
        decideAgainAt = long.MaxValue;
        if (ready == 0) return 0;
        var n = Math.Min(ready, capacity);
        if (n >= _threshold || n == capacity || now - oldestQueuedAt >= _maxDelayTicks) return n;
        decideAgainAt = oldestQueuedAt + _maxDelayTicks;
        return 0;
    }
}
