namespace OvStateful.Core.Sequences;

/// <summary>Where a live sequence's state is.</summary>
internal enum SequencePhase
{
    /// <summary>No slot yet; waiting in the backlog (with pending steps) for a free slot.</summary>
    Backlogged,
    /// <summary>Holds <see cref="Sequence.Slot"/> on <see cref="Sequence.Instance"/>.</summary>
    Resident,
    /// <summary>Its slot was given away; its instance's loop is exporting the state to its spill record.</summary>
    Evicting,
    /// <summary>State in its spill record (<see cref="Sequence.SpillRecord"/>), no slot.</summary>
    Spilled,
    /// <summary>Gone from the sequence table.</summary>
    Removed,
}

/// <summary>The intrusive list a sequence is on (at most one at a time).</summary>
internal enum SequenceListKind : byte
{
    None,
    /// <summary>Its instance's ready list: resident, has pending steps, none in flight.</summary>
    Ready,
    /// <summary>Idle and resident: the LRU order spill evicts from, and the reaper's first list.</summary>
    IdleResident,
    /// <summary>Idle and spilled: the reaper's second list.</summary>
    IdleSpilled,
    /// <summary>The router's FIFO backlog: needs a slot, none free.</summary>
    Backlog,
}

/// <summary>
/// One live sequence (correlation id) in the batcher's sequence table. Every field is
/// guarded by the batcher's lock.
/// </summary>
internal sealed class Sequence(SequenceId id)
{
    public readonly SequenceId Id = id;

    public SequencePhase Phase;
    /// <summary>Set while Resident (and, for Evicting, null); the instance whose slot holds the state.</summary>
    public InstanceBatcher? Instance;
    /// <summary>&gt;= 0 exactly while Resident; Instance.Owners[Slot] == this.</summary>
    public int Slot = -1;

    /// <summary>The step now executing; at most one per sequence, so a batch never holds two steps of one sequence.</summary>
    public StepOperation? InFlight;
    /// <summary>Pending steps in arrival order (intrusive list through StepOperation.Next/Prev).</summary>
    public StepOperation? Head, Tail;
    public int PendingCount;

    /// <summary>
    /// The next step to run must start from the initial state (its START was cancelled
    /// before it ran, or a START step failed in the engine, which changes no slot).
    /// </summary>
    public bool ResetPending;
    /// <summary>
    /// A step with Start has been taken to run (and did not fail): the slot or host copy holds
    /// this sequence's own state. A cancelled restart then leaves that state as it is.
    /// </summary>
    public bool Started;
    /// <summary>
    /// The spill arena record holding (or, while Evicting, receiving) the host copy of the state;
    /// -1 when none. Set from eviction (or restoration at start) until the state is back in a
    /// slot or the sequence is gone; each such sequence is counted in the batcher's spill gauges.
    /// </summary>
    public int SpillRecord = -1;
    /// <summary>Resident, but the slot does not hold the state yet: the loop imports <see cref="SpillRecord"/> before the next step.</summary>
    public bool ImportPending;
    /// <summary>Steps applied to the state since its START (kept in its durable records).</summary>
    public long Steps;
    /// <summary>
    /// Leaving for, or just taken in from, another batcher (DetachAsync/Adopt): its export or
    /// its first import is a hand-over, counted as one and not as a spill or restore. Cleared by that import.
    /// </summary>
    public bool HandOver;
    /// <summary>Set by DetachAsync while the loop exports the slot for a hand-over; completed when that export is applied (or failed).</summary>
    public TaskCompletionSource? HandOverExported;

    /// <summary>Timestamp of the last step queued or completed; idle deadline = this + max_sequence_idle.</summary>
    public long LastActivity;

    // Intrusive list links; List says which list (None = on no list, both links null).
    public SequenceListKind List;
    public Sequence? Prev, Next;

    public bool IsIdle => Head is null && InFlight is null;

    /// <summary>True when the last step sent so far (queued or running) carries END.</summary>
    public bool EndSent => Tail is not null ? Tail.IsEnd : InFlight is { IsEnd: true };

    public void Append(StepOperation op)
    {
        op.Sequence = this;
        op.Prev = Tail;
        op.Next = null;
        if (Tail is null) Head = op; else Tail.Next = op;
        Tail = op;
        PendingCount++;
        op.Owner.Metrics.AdjustPending(1);
    }

    public StepOperation PopHead()
    {
        var op = Head ?? throw new InvalidOperationException("no pending step");
        Unlink(op);
        return op;
    }

    public void Unlink(StepOperation op)
    {
        if (op.Prev is null) Head = op.Next; else op.Prev.Next = op.Next;
        if (op.Next is null) Tail = op.Prev; else op.Next.Prev = op.Prev;
        op.Prev = op.Next = null;
        PendingCount--;
        op.Owner.Metrics.AdjustPending(-1);
    }
}
