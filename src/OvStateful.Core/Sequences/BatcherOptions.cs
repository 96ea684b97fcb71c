using Microsoft.Extensions.Logging;

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

    /// <summary>
    /// Most sequences that may wait in the backlog for a slot (Triton's max_queue_size, for
    /// sequences); a new sequence, or a spilled one's next step, that would wait behind a full
    /// backlog fails at once with ResourceExhausted naming the limit, changing nothing.
    /// 0 = unbounded.
    /// </summary>
    public int MaxBacklog { get; init; } = 4096;

    /// <summary>
    /// Beyond Triton and OVMS: durable live sequences. The folder under which each model version
    /// keeps its sequences' states in memory-mapped files (<c>&lt;folder&gt;/&lt;model&gt;/&lt;version&gt;</c>),
    /// written after every step and before its response, so a crash of the process loses no
    /// answered step and a restart continues every sequence. Null = off (Triton's behaviour).
    /// </summary>
    public string? StateDirectory { get; init; }

    /// <summary>
    /// How often durable states are written to the disk (msync): a crash of the machine loses
    /// at most about this much of the latest steps; a crash of the process loses none.
    /// Zero = never forced (the OS writes back on its own schedule).
    /// </summary>
    public TimeSpan StateSyncPeriod { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Where the batcher reports restored and dropped states and other operator news; none when null.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Told when a sequence starts and ends (END, idle timeout, shutdown); e.g. a <see cref="CorrelationIdManager"/>. Called outside the batcher's lock.</summary>
    public ISequenceLifecycleObserver? Observer { get; init; }
}
