namespace OvStateful.Core.Sequences;

/// <summary>
/// Server-side choices for a sequence batcher that config.pbtxt does not carry. The
/// defaults give Triton's behaviour: no spill, new sequences wait in the backlog.
/// </summary>
public sealed record BatcherOptions
{
    public static BatcherOptions Default { get; } = new();

    /// <summary>
    /// Beyond Triton: when every slot is busy, export the least-recently-used idle
    /// sequence's state to host memory and import it again on its next step, instead of
    /// making the new sequence wait.
    /// </summary>
    public bool SpillEnabled { get; init; }

    /// <summary>Most bytes of spilled state held in host memory; once reached, new sequences wait in the backlog (nothing is dropped).</summary>
    public long SpillMemoryCapBytes { get; init; } = 1L << 30;

    /// <summary>Told when a sequence starts and ends (END, idle timeout, shutdown); e.g. a <see cref="CorrelationIdManager"/>. Called outside the batcher's lock.</summary>
    public ISequenceLifecycleObserver? Observer { get; init; }
}
