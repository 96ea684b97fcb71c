using OvStateful.Core.Engines;

namespace OvStateful.Core.Sequences;

/// <summary>Where a live sequence's state is.</summary>
internal enum SequencePhase
{
    /// <summary>No slot yet; waiting in the backlog (with pending steps) for a free slot.</summary>
    Backlogged,
    /// <summary>Holds <see cref="Sequence.Slot"/> on <see cref="Sequence.Instance"/>.</summary>
    Resident,
    /// <summary>Its slot was given away; its instance's loop is exporting the state to host memory.</summary>
    Evicting,
    /// <summary>State in host memory (<see cref="Sequence.Snapshot"/>), no slot.</summary>
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
    /// <summary>Host copy of the state: set while Spilled, and while Resident with <see cref="ImportPending"/>.</summary>
    public SlotSnapshot? Snapshot;
    /// <summary>Resident, but the slot does not hold the state yet: the loop imports <see cref="Snapshot"/> before the next step.</summary>
    public bool ImportPending;
    /// <summary>Counted in the batcher's spilled sequences, with <see cref="SpillReservedBytes"/> in its spilled bytes (from eviction until import or removal).</summary>
    public bool HoldsSpill;
    public long SpillReservedBytes;

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
