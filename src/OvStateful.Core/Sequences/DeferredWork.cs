namespace OvStateful.Core.Sequences;

/// <summary>
/// What a locked section decided but must not do under the lock: steps to complete with
/// an error and observer notifications. The section fills it; the caller flushes it after
/// releasing the lock. Instance loops and the reaper reuse one each.
/// </summary>
internal sealed class DeferredWork
{
    /// <summary>Steps whose <see cref="StepOperation.Error"/> is set and whose State is Done.</summary>
    public readonly List<StepOperation> Failed = [];
    public readonly List<(SequenceId Id, SequenceEndReason Reason)> Ended = [];
    /// <summary>Sequences whose state reached host memory (spill), and those whose spilled state went back into a slot.</summary>
    public readonly List<SequenceId> Spilled = [], Restored = [];

    public bool IsEmpty => Failed.Count == 0 && Ended.Count == 0 && Spilled.Count == 0 && Restored.Count == 0;
}
