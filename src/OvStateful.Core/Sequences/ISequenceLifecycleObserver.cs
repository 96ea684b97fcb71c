namespace OvStateful.Core.Sequences;

/// <summary>Why a sequence left the batcher.</summary>
public enum SequenceEndReason
{
    /// <summary>Its END step ran.</summary>
    End,
    /// <summary>No step for longer than max_sequence_idle_microseconds.</summary>
    IdleTimeout,
    /// <summary>Its only queued steps were cancelled before it ever ran.</summary>
    Cancelled,
    /// <summary>Its state was lost (export or import of spilled state failed).</summary>
    Error,
    /// <summary>The model is shutting down.</summary>
    Shutdown,
    /// <summary>Its state was handed over to continue in another batcher (a cluster's drain or migration).</summary>
    HandedOver,
}

/// <summary>
/// Hears about sequences coming and going. Called on batcher threads, never under the
/// batcher's lock, so it may take its own locks; it must be quick and must not throw.
/// </summary>
public interface ISequenceLifecycleObserver
{
    void SequenceStarted(string modelName, SequenceId id);
    void SequenceEnded(string modelName, SequenceId id, SequenceEndReason reason);

    /// <summary>Its state moved to host memory to free its slot (spill). Most observers need not care.</summary>
    void SequenceSpilled(string modelName, SequenceId id) { }

    /// <summary>Its spilled state went back into a slot for its next step.</summary>
    void SequenceRestored(string modelName, SequenceId id) { }
}
