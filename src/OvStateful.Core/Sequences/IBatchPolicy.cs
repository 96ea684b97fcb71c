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

/// <summary>Triton's direct strategy: run once enough slots have a step ready (minimum_slot_utilization) or the oldest waited max_queue_delay.</summary>
internal sealed class DirectBatchPolicy : IBatchPolicy
{
    // Invariant: 1 <= _threshold; ready slots at or above it run at once.
    private readonly int _threshold;
    private readonly long _maxDelayTicks;

    public DirectBatchPolicy(double minimumSlotUtilization, int slotCount, long maxDelayTicks)
    {
        _threshold = Math.Max(1, (int)Math.Ceiling(minimumSlotUtilization * slotCount));
        _maxDelayTicks = maxDelayTicks;
    }

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
