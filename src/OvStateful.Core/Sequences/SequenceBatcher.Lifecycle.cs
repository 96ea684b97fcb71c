using System.Text;
using OvStateful.Core.Serving;

namespace OvStateful.Core.Sequences;

// Shutdown and the consistency check tests use.
public sealed partial class SequenceBatcher
{
    /// <summary>
    /// Stops taking requests; steps still queued or waiting in the backlog fail at once with
    /// Unavailable ("model X is shutting down", or <paramref name="reason"/>: "the server is
    /// shutting down"), batches already executing finish, then the instance loops and the
    /// reaper end. Never waits on a client. Safe to call more than once (the first reason stays).
    /// </summary>
    public Task StopAsync(string? reason = null)
    {
        var deferred = new DeferredWork();
        Task stop;
        lock (Lock)
        {
            AssertInvariants();
            if (_stopTask is not null) return _stopTask;
            _stopReason = reason;
            _stopping = true;
            foreach (var seq in _table.Values)
            {
                while (seq.Head is { } op)
                {
                    seq.Unlink(op);
                    op.State = StepState.Done;
                    op.Error = new InferenceException(InferenceErrorKind.Unavailable, ShuttingDownMessage(seq.Id));
                    deferred.Failed.Add(op);
                }
                if (seq.List == SequenceListKind.Ready) seq.Instance!.Ready.Remove(seq);
                else if (seq.List == SequenceListKind.Backlog) _backlog.Remove(seq);
                deferred.Ended.Add((seq.Id, SequenceEndReason.Shutdown));
            }
            var waits = new List<Task>(_instances.Length + 1);
            foreach (var inst in _instances)
            {
                waits.Add(inst.Exited);
                Volatile.Write(ref inst.SignalPending, 1);
            }
            if (_reaperStarted) waits.Add(_reaperExited.Task);
            _reaperSignal = 1;
            stop = _stopTask = CloseStateAsync(Task.WhenAll(waits));
            PublishGauges();
        }
        Flush(deferred);
        FlushSignals();
        return stop;
    }

    /// <summary>
    /// Once no loop runs: durable states are flushed and their files closed (live sequences
    /// stay in them for the next start); a spill arena in native memory is freed.
    /// </summary>
    private async Task CloseStateAsync(Task loopsExited)
    {
        await loopsExited.ConfigureAwait(false);
        if (_store is not null) _store.Dispose();
        else _spill?.Dispose();
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    /// <summary>
    /// Full check of the sequence table against the slots and lists (for tests, at
    /// quiescence or not). Returns null when consistent, else what is wrong.
    /// </summary>
    internal string? CheckConsistency()
    {
        lock (Lock)
        {
            var errors = new StringBuilder();
            var owners = 0;
            foreach (var inst in _instances)
            {
                for (var slot = 0; slot < inst.Owners.Length; slot++)
                {
                    var o = inst.Owners[slot];
                    if (o is null) { if (!inst.FreeSlots.Contains(slot)) errors.AppendLine($"instance {inst.Index} slot {slot}: no owner and not free"); continue; }
                    owners++;
                    if (inst.FreeSlots.Contains(slot)) errors.AppendLine($"instance {inst.Index} slot {slot}: owned by {o.Id} and free");
                    if (o.Instance != inst || o.Slot != slot || o.Phase != SequencePhase.Resident) errors.AppendLine($"slot {inst.Index}/{slot} owner {o.Id} disagrees ({o.Phase}, {o.Slot})");
                }
            }
            if (owners != _slotsInUse) errors.AppendLine($"{owners} owned slots but {_slotsInUse} counted");
            long spilled = 0;
            var holders = 0;
            var listed = 0;
            foreach (var (id, s) in _table)
            {
                if (s.Id != id) errors.AppendLine($"table key {id} holds {s.Id}");
                if (s.SpillRecord >= 0) { spilled += _spill!.Layout.Size; holders++; }
                var expected = s.Phase switch
                {
                    SequencePhase.Resident when s.InFlight is null && s.Head is not null => SequenceListKind.Ready,
                    SequencePhase.Resident when s.IsIdle => SequenceListKind.IdleResident,
                    SequencePhase.Spilled when s.IsIdle => SequenceListKind.IdleSpilled,
                    SequencePhase.Backlogged => SequenceListKind.Backlog,
                    _ => SequenceListKind.None,
                };
                if (_stopping) expected = s.IsIdle ? expected : SequenceListKind.None;
                if (s.List != expected) errors.AppendLine($"sequence {id} ({s.Phase}, pending {s.PendingCount}, in flight {s.InFlight is not null}) is on list {s.List}; expected {expected}");
                if (s.Phase == SequencePhase.Spilled && !s.IsIdle) errors.AppendLine($"sequence {id} is spilled with work but has no slot request");
                if (s.Phase == SequencePhase.Backlogged && s.Head is null && !_stopping) errors.AppendLine($"sequence {id} is backlogged with nothing pending");
                if (s.List != SequenceListKind.None) listed++;
                var count = 0;
                for (var op = s.Head; op is not null; op = op.Next) { count++; if (op.State != StepState.Queued) errors.AppendLine($"sequence {id} holds a step in state {op.State}"); }
                if (count != s.PendingCount) errors.AppendLine($"sequence {id} counts {s.PendingCount} pending but holds {count}");
            }
            var listCounts = _backlog.Count + _idleResident.Count + _idleSpilled.Count;
            foreach (var inst in _instances) listCounts += inst.Ready.Count;
            if (listed != listCounts) errors.AppendLine($"{listed} listed sequences in the table but the lists hold {listCounts}");
            if (spilled != _spilledBytes || holders != _spilledCount) errors.AppendLine($"spill: {holders} holders / {spilled} bytes, counted {_spilledCount} / {_spilledBytes}");
            if (_spill is not null && _spill.InUse != holders) errors.AppendLine($"spill arena: {_spill.InUse} records in use, {holders} sequences hold one");
            return errors.Length == 0 ? null : errors.ToString();
        }
    }
}
