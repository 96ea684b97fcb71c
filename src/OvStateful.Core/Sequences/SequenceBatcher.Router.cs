using System.Diagnostics;
using OvStateful.Core.Serving;

namespace OvStateful.Core.Sequences;

// The router: which slot a sequence gets, the FIFO backlog, spill (eviction of the least
// recently used idle sequence) and the idle lists. Every method here runs under Lock and
// only moves pointers; the engine work it decides is done by the instance loops.
public sealed partial class SequenceBatcher
{
    private static readonly Func<Sequence, long> s_headAge = static s => s.Head!.EnqueuedAt;
    private static readonly Func<Sequence, long> s_lastActivity = static s => s.LastActivity;

    /// <summary>A sequence that was idle has a pending step again.</summary>
    private void OnBecameBusy(Sequence seq)
    {
        if (seq.List == SequenceListKind.IdleResident) _idleResident.Remove(seq);
        else if (seq.List == SequenceListKind.IdleSpilled) _idleSpilled.Remove(seq);
        switch (seq.Phase)
        {
            case SequencePhase.Resident:
                MakeReady(seq);
                break;
            case SequencePhase.Spilled:
                RequestSlot(seq);
                break;
            // Evicting: the export's completion asks for a slot. Backlogged: already waiting.
        }
    }

    /// <summary>Puts a resident sequence with a pending step (none in flight) on its instance's ready list, oldest head first.</summary>
    internal void MakeReady(Sequence seq)
    {
        Debug.Assert(seq.Head is not null && seq.InFlight is null && seq.List == SequenceListKind.None && seq.Phase == SequencePhase.Resident, $"sequence {seq.Id} made ready in state {seq.Phase}/{seq.List}");
        var inst = seq.Instance!;
        inst.Ready.InsertSorted(seq, s_headAge);
        Volatile.Write(ref inst.SignalPending, 1);
    }

    /// <summary>A sequence with no pending step and none in flight: on an idle list, where spill and the reaper find it.</summary>
    internal void MakeIdle(Sequence seq)
    {
        Debug.Assert(seq.IsIdle && seq.List == SequenceListKind.None, $"sequence {seq.Id} made idle while busy or listed ({seq.List})");
        if (seq.Phase == SequencePhase.Resident)
        {
            _idleResident.InsertSorted(seq, s_lastActivity);
            // With spill on, an idle resident sequence can make room for the backlog's head.
            if (_options.SpillEnabled && _backlog.Count > 0) PumpBacklog();
        }
        else
        {
            Debug.Assert(seq.Phase == SequencePhase.Spilled);
            _idleSpilled.InsertSorted(seq, s_lastActivity);
        }
        var deadline = seq.LastActivity + _idleTicks;
        if (deadline < _reaperWakeAt)
        {
            _reaperWakeAt = deadline;
            Volatile.Write(ref _reaperSignal, 1);
        }
    }

    /// <summary>A sequence with pending steps and no slot asks for one: a free slot, else spill, else the backlog (FIFO).</summary>
    private void RequestSlot(Sequence seq)
    {
        if (_backlog.Count == 0 && TryPlace(seq)) return;
        seq.Phase = SequencePhase.Backlogged;
        _backlog.AddLast(seq);
        PumpBacklog();
    }

    /// <summary>Gives free (or freed by spill) slots to the backlog in arrival order.</summary>
    private void PumpBacklog()
    {
        while (!_stopping && _backlog.First is { } head)
        {
            if (!TryPlace(head)) break;
        }
    }

    /// <summary>The spill arena grew: sequences that waited for a spill record may get one now.</summary>
    internal void PumpBacklogAfterGrowth()
    {
        if (_options.SpillEnabled) PumpBacklog();
    }

    private bool TryPlace(Sequence seq)
    {
        // The instance with the most free slots (ties: the lowest index) spreads load over
        // the instances' threads; within it the lowest free slot keeps batches dense.
        InstanceBatcher? best = null;
        foreach (var inst in _instances)
        {
            if (inst.FreeSlots.Count > (best?.FreeSlots.Count ?? 0)) best = inst;
        }
        if (best is not null)
        {
            Place(seq, best, best.FreeSlots.Pop());
            return true;
        }
        return _options.SpillEnabled && TryEvictFor(seq);
    }

    /// <summary>
    /// Spill: the least recently used idle resident sequence gives its slot to
    /// <paramref name="seq"/>; its state is exported to a spill record by its instance's
    /// loop before that slot runs anything else. Refused when the cap would be passed or the
    /// arena has no record ready (it is asked to grow, and the backlog is pumped when it has).
    /// </summary>
    private bool TryEvictFor(Sequence seq)
    {
        var victim = _idleResident.First;
        if (victim is null || _spill is null) return false;
        // A victim whose spilled state was never imported back still holds it: no export needed.
        var record = -1;
        if (!victim.ImportPending)
        {
            if (_spilledBytes + _spill.Layout.Size > _options.SpillMemoryCapBytes) return false;
            record = _spill.TryAllocate();
            if (record < 0)
            {
                Volatile.Write(ref _instances[0].SignalPending, 1); // a loop grows the arena, then pumps the backlog
                return false;
            }
        }

        _idleResident.Remove(victim);
        var inst = victim.Instance!;
        var slot = victim.Slot;
        inst.Owners[slot] = null;
        victim.Instance = null;
        victim.Slot = -1;
        _slotsInUse--;
        if (victim.ImportPending)
        {
            victim.ImportPending = false;
            victim.Phase = SequencePhase.Spilled;
            MakeIdle(victim);
        }
        else
        {
            victim.Phase = SequencePhase.Evicting;
            HoldSpill(victim, record);
            inst.Exports.Add(new PendingExport(slot, victim, record, victim.Steps));
            Volatile.Write(ref inst.SignalPending, 1);
        }
        Place(seq, inst, slot);
        return true;
    }

    private void Place(Sequence seq, InstanceBatcher inst, int slot)
    {
        if (seq.List == SequenceListKind.Backlog) _backlog.Remove(seq);
        Debug.Assert(inst.Owners[slot] is null, "slot given twice");
        seq.Phase = SequencePhase.Resident;
        seq.Instance = inst;
        seq.Slot = slot;
        inst.Owners[slot] = seq;
        _slotsInUse++;
        if (seq.SpillRecord >= 0) seq.ImportPending = true;
        if (seq.Head is not null && seq.InFlight is null) MakeReady(seq);
    }

    private void FreeSlot(Sequence seq)
    {
        var inst = seq.Instance!;
        inst.Owners[seq.Slot] = null;
        inst.FreeSlots.Push(seq.Slot);
        seq.Instance = null;
        seq.Slot = -1;
        _slotsInUse--;
    }

    /// <summary>The sequence's state goes to (or is in) spill record <paramref name="record"/>: counted in the spill gauges.</summary>
    internal void HoldSpill(Sequence seq, int record)
    {
        Debug.Assert(seq.SpillRecord < 0);
        seq.SpillRecord = record;
        _spilledBytes += _spill!.Layout.Size;
        _spilledCount++;
    }

    /// <summary>The sequence's host copy is gone (imported, dropped by a START, or the sequence ended): its record is free again.</summary>
    internal void ReleaseSpill(Sequence seq)
    {
        seq.ImportPending = false;
        seq.HandOver = false;
        if (seq.SpillRecord < 0) return;
        _spill!.Free(seq.SpillRecord);
        seq.SpillRecord = -1;
        _spilledBytes -= _spill.Layout.Size;
        _spilledCount--;
        // Room under the cap may let the backlog spill its way in.
        if (_options.SpillEnabled && _backlog.Count > 0) PumpBacklog();
    }

    /// <summary>A victim's state reached host memory: it asks for a slot again if steps arrived meanwhile, else it is idle.</summary>
    internal void OnSpilled(Sequence victim)
    {
        if (victim.Head is not null) RequestSlot(victim);
        else MakeIdle(victim);
    }

    /// <summary>Takes a cancelled step off its sequence and puts the sequence where its remaining work says.</summary>
    private void RemoveQueued(StepOperation op, ref DeferredWork? deferred)
    {
        var seq = op.Sequence!;
        var wasHead = seq.Head == op;
        var next = op.Next;
        var prev = op.Prev;
        seq.Unlink(op);
        if (op.IsStart && !seq.Started && !AnyStartBefore(prev))
        {
            // The sequence's first START never ran: whichever step runs next must still begin
            // from the initial state (the slot may hold another sequence's leftovers). A
            // cancelled restart of a sequence that did start changes nothing.
            if (next is not null) next.Flags |= Engines.StepFlags.Start;
            else seq.ResetPending = true;
        }
        if (seq.InFlight is not null) return; // its completion decides where the sequence goes
        if (seq.Head is null && (!_settings.IsSequenceModel || (!seq.Started && seq.SpillRecord < 0)))
        {
            // Nothing left to keep: a stateless request's one-step sequence, or a sequence that
            // never ran and holds no state of its own (in a slot or waiting for one). Kept, it
            // would hold a slot and count as live though its only START was cancelled.
            RemoveSequence(seq, SequenceEndReason.Cancelled, ref deferred);
        }
        else if (seq.Head is null)
        {
            switch (seq.List)
            {
                case SequenceListKind.Ready:
                    seq.Instance!.Ready.Remove(seq);
                    MakeIdle(seq);
                    break;
                case SequenceListKind.Backlog:
                    // It holds a spilled state (a started sequence never waits without one).
                    _backlog.Remove(seq);
                    seq.Phase = SequencePhase.Spilled;
                    MakeIdle(seq);
                    break;
            }
        }
        else if (wasHead && seq.List == SequenceListKind.Ready)
        {
            seq.Instance!.Ready.Remove(seq);
            MakeReady(seq);
        }
    }

    private static bool AnyStartBefore(StepOperation? op)
    {
        for (; op is not null; op = op.Prev)
        {
            if (op.IsStart) return true;
        }
        return false;
    }

    /// <summary>Drops a sequence from the table, freeing its slot or host copy; the observer hears why (deferred).</summary>
    internal void RemoveSequence(Sequence seq, SequenceEndReason reason, ref DeferredWork? deferred)
    {
        switch (seq.List)
        {
            case SequenceListKind.Ready: seq.Instance!.Ready.Remove(seq); break;
            case SequenceListKind.IdleResident: _idleResident.Remove(seq); break;
            case SequenceListKind.IdleSpilled: _idleSpilled.Remove(seq); break;
            case SequenceListKind.Backlog: _backlog.Remove(seq); break;
        }
        if (seq.Phase == SequencePhase.Resident)
        {
            // Its durable record must not bring it back after a restart. (It is not in flight:
            // the slot's journal is this section's to write.)
            _store?.Journal(seq.Instance!.Index).Clear(seq.Slot, _store.NextStamp());
            FreeSlot(seq);
        }
        // An Evicting sequence's reservation is released when its export comes back.
        if (seq.Phase != SequencePhase.Evicting) ReleaseSpill(seq);
        if (_table.TryGetValue(seq.Id, out var current) && ReferenceEquals(current, seq)) _table.Remove(seq.Id);
        seq.Phase = SequencePhase.Removed;
        (deferred ??= new DeferredWork()).Ended.Add((seq.Id, reason));
        PumpBacklog();
    }

    /// <summary>Fails every pending step of a sequence whose state is lost (deferred).</summary>
    internal void FailPending(Sequence seq, string message, ref DeferredWork? deferred)
    {
        while (seq.Head is { } op)
        {
            seq.Unlink(op);
            op.State = StepState.Done;
            op.Error = new InferenceException(InferenceErrorKind.Internal, message);
            (deferred ??= new DeferredWork()).Failed.Add(op);
        }
    }

    /// <summary>Mirrors the gauges for lock-free <see cref="GetStatistics"/> readers.</summary>
    internal void PublishGauges()
    {
        Volatile.Write(ref _activeCount, _table.Count);
        Volatile.Write(ref _backlogCount, _backlog.Count);
    }

    /// <summary>Cheap checks of the state machine at the start of every locked section (DEBUG only).</summary>
    [Conditional("DEBUG")]
    internal void AssertInvariants()
    {
        Debug.Assert(Lock.IsHeldByCurrentThread, "batcher state touched without its lock");
        var free = 0;
        foreach (var inst in _instances) free += inst.FreeSlots.Count;
        Debug.Assert(free + _slotsInUse == _totalSlots, $"slots: {free} free + {_slotsInUse} in use != {_totalSlots}");
        Debug.Assert(_stopping || _backlog.Count == 0 || free == 0, "a sequence waits in the backlog while a slot is free");
        Debug.Assert(_spilledBytes >= 0 && _spilledCount >= 0, "spill accounting went negative");
        Debug.Assert(_backlog.Count + _idleResident.Count + _idleSpilled.Count <= _table.Count, "a listed sequence is not in the table");
    }
}
