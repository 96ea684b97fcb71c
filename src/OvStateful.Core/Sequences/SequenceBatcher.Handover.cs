using System.Diagnostics;
using OvStateful.Core.Engines;
using OvStateful.Core.Serving;
using OvStateful.Core.State;

namespace OvStateful.Core.Sequences;

// Hand-over: a live, idle sequence leaves this batcher with its state (DetachAsync) and another
// batcher of the same model takes it in (Adopt). The caller (the cluster's sequence grain) sends
// the sequence no step meanwhile; a step that arrives anyway is refused as for an unknown id.
public sealed partial class SequenceBatcher
{
    /// <summary>
    /// Takes an idle sequence out with its state: a spilled one at once (read from its spill
    /// record), a resident one after its instance's loop exported the slot into a spill record
    /// (the same export spill does, past the spill cap: it is leaving; the slot is free from then
    /// on). Null when the sequence is not live here. Waits while it has steps queued or running.
    /// Counted as a hand-over (<see cref="ModelStatistics.HandOverCount"/>), not as a spill.
    /// </summary>
    public async Task<HandedOverSequence?> DetachAsync(SequenceId id, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            HandedOverSequence? taken = null;
            DeferredWork? deferred = null;
            var grow = false;
            Task? exported = null;
            lock (Lock)
            {
                AssertInvariants();
                if (!_table.TryGetValue(id, out var seq)) return null;
                if (seq.IsIdle)
                {
                    if (!seq.Started || seq.Phase == SequencePhase.Spilled || (seq.Phase == SequencePhase.Resident && seq.ImportPending))
                    {
                        // The spill record is the state (or there is none yet): nothing to export.
                        taken = new HandedOverSequence(id, seq.Started && seq.SpillRecord >= 0 ? ReadSpillRecord(seq.SpillRecord) : null);
                        RemoveSequence(seq, SequenceEndReason.HandedOver, ref deferred);
                        Metrics.RecordHandOver();
                    }
                    else if (seq.Phase == SequencePhase.Resident)
                    {
                        grow = !ExportForHandOver(seq);
                        exported = seq.HandOverExported?.Task;
                    }
                    // Evicting: its export is on the way; look again shortly.
                }
                PublishGauges();
            }
            Flush(deferred);
            FlushSignals();
            if (taken is not null) return taken;
            if (grow) HandOverArena.Grow(); // no record free: one more segment (outside the lock, as the loops grow it)
            else if (exported is not null) await exported.WaitAsync(cancellationToken).ConfigureAwait(false);
            else await Task.Delay(1, cancellationToken).ConfigureAwait(false); // steps queued or running, or a spill's export on the way
        }
    }

    /// <summary>The arena hand-overs go through: the spill arena (created for every sequence model, grown only when spill is on or a hand-over needs a record).</summary>
    private SpillArena HandOverArena => _spill ?? throw new InvalidOperationException($"model '{ModelName}' keeps no sequence state: nothing to hand over");

    /// <summary>Under Lock: the state in spill record <paramref name="record"/>, unpacked (bit-exact) as the engine exported it.</summary>
    private SlotSnapshot ReadSpillRecord(int record) =>
        SlotStateBytes.Unpack(_instances[0].Engine.States, HandOverArena.Layout.State(HandOverArena.Record(record)));

    /// <summary>
    /// Under Lock: an idle resident sequence gives its slot up and its instance's loop exports the
    /// state into a spill record before that slot runs anything else (as spill does, past the spill
    /// cap: it is leaving). False when no record is free (the caller grows the arena and looks again).
    /// </summary>
    private bool ExportForHandOver(Sequence seq)
    {
        Debug.Assert(seq.IsIdle && seq.Phase == SequencePhase.Resident && !seq.ImportPending);
        var record = HandOverArena.TryAllocate();
        if (record < 0) return false;
        _idleResident.Remove(seq);
        var inst = seq.Instance!;
        var slot = seq.Slot;
        inst.Owners[slot] = null;
        inst.FreeSlots.Push(slot);
        seq.Instance = null;
        seq.Slot = -1;
        _slotsInUse--;
        seq.Phase = SequencePhase.Evicting;
        seq.HandOver = true;
        seq.HandOverExported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        HoldSpill(seq, record);
        inst.Exports.Add(new PendingExport(slot, seq, record, seq.Steps));
        Volatile.Write(ref inst.SignalPending, 1);
        PumpBacklog();
        return true;
    }

    /// <summary>
    /// Takes in a sequence handed over from another batcher of the same model: it is live here from
    /// now, idle, its state in a spill record as a spilled sequence's is (sealed when the arena is
    /// durable), imported into a slot by its next step. Fails (InvalidArgument) when the id is
    /// already live here, Unavailable when stopping. Counted in <see cref="ModelStatistics.AdoptCount"/>;
    /// that import is not counted as a restore.
    /// </summary>
    public void Adopt(HandedOverSequence sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        var arena = HandOverArena;
        while (true)
        {
            lock (Lock)
            {
                AssertInvariants();
                if (_stopping) throw new InferenceException(InferenceErrorKind.Unavailable, ShuttingDownMessage(sequence.Id));
                if (_table.ContainsKey(sequence.Id))
                    throw new InferenceException(InferenceErrorKind.InvalidArgument, $"model '{ModelName}': sequence {sequence.Id} is already live here; a handed-over sequence cannot replace it");
                var record = -1;
                if (sequence.State is not null)
                {
                    record = arena.TryAllocate();
                    if (record < 0) goto grow;
                    var bytes = arena.Record(record);
                    var stamp = _store?.NextStamp() ?? 0;
                    if (arena.IsDurable) StateRecordLayout.Begin(bytes, stamp);
                    SlotStateBytes.Pack(_instances[0].Engine.States, sequence.State, arena.Layout.State(bytes));
                    if (arena.IsDurable && !arena.Layout.Seal(bytes, stamp, sequence.Id, 0)) LogNotDurable(sequence.Id);
                    arena.Written(record);
                }
                var seq = new Sequence(sequence.Id)
                {
                    Phase = SequencePhase.Spilled,
                    LastActivity = Stopwatch.GetTimestamp(),
                    Started = sequence.State is not null,
                    ResetPending = sequence.State is null,
                    HandOver = sequence.State is not null,
                };
                Metrics.RecordAdopted();
                _table.Add(sequence.Id, seq);
                if (record >= 0) HoldSpill(seq, record);
                MakeIdle(seq);
                PublishGauges();
                break;
            }
        grow:
            arena.Grow();
        }
        NotifyStarted(sequence.Id);
        FlushSignals();
    }
}
