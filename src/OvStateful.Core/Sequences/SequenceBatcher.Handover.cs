using System.Diagnostics;
using OvStateful.Core.Serving;

namespace OvStateful.Core.Sequences;

// Hand-over: a live, idle sequence leaves this batcher with its state (DetachAsync) and another
// batcher of the same model takes it in (Adopt). The caller (the cluster's sequence grain) sends
// the sequence no step meanwhile; a step that arrives anyway is refused as for an unknown id.
public sealed partial class SequenceBatcher
{
    /// <summary>
    /// Takes an idle sequence out with its state: a spilled one at once, a resident one after its
    /// instance's loop exported the slot (the same export spill does; the slot is free from then
    /// on). Null when the sequence is not live here. Waits while it has steps queued or running.
    /// </summary>
    public async Task<HandedOverSequence?> DetachAsync(SequenceId id, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            HandedOverSequence? taken = null;
            DeferredWork? deferred = null;
            lock (Lock)
            {
                AssertInvariants();
                if (!_table.TryGetValue(id, out var seq)) return null;
                if (seq.IsIdle)
                {
                    if (seq.Phase == SequencePhase.Spilled || (seq.Phase == SequencePhase.Resident && seq.ImportPending) || !seq.Started)
                    {
                        // The host copy is the state (or there is none yet): nothing to export.
                        taken = new HandedOverSequence(id, seq.Started ? seq.Snapshot : null);
                        RemoveSequence(seq, SequenceEndReason.HandedOver, ref deferred);
                    }
                    else if (seq.Phase == SequencePhase.Resident)
                    {
                        ExportForHandOver(seq);
                    }
                    // Evicting: its export is on the way; look again shortly.
                }
                PublishGauges();
            }
            Flush(deferred);
            FlushSignals();
            if (taken is not null) return taken;
            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Under Lock: an idle resident sequence gives its slot up and its instance's loop exports the
    /// state before that slot runs anything else (as spill does, past the spill cap: it is leaving).
    /// </summary>
    private void ExportForHandOver(Sequence seq)
    {
        Debug.Assert(seq.IsIdle && seq.Phase == SequencePhase.Resident && !seq.ImportPending);
        _idleResident.Remove(seq);
        var inst = seq.Instance!;
        var slot = seq.Slot;
        inst.Owners[slot] = null;
        inst.FreeSlots.Push(slot);
        seq.Instance = null;
        seq.Slot = -1;
        _slotsInUse--;
        seq.Phase = SequencePhase.Evicting;
        HoldSpill(seq, _slotStateBytes);
        inst.Exports.Add((slot, seq));
        Volatile.Write(ref inst.SignalPending, 1);
        PumpBacklog();
    }

    /// <summary>
    /// Takes in a sequence handed over from another batcher of the same model: it is live here from
    /// now, idle, its state held in host memory as a spilled sequence's is, imported into a slot by
    /// its next step. Fails (InvalidArgument) when the id is already live here, Unavailable when stopping.
    /// </summary>
    public void Adopt(HandedOverSequence sequence)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        lock (Lock)
        {
            AssertInvariants();
            if (_stopping) throw new InferenceException(InferenceErrorKind.Unavailable, ShuttingDownMessage(sequence.Id));
            if (_table.ContainsKey(sequence.Id))
                throw new InferenceException(InferenceErrorKind.InvalidArgument, $"model '{ModelName}': sequence {sequence.Id} is already live here; a handed-over sequence cannot replace it");
            var seq = new Sequence(sequence.Id)
            {
                Phase = SequencePhase.Spilled,
                LastActivity = Stopwatch.GetTimestamp(),
                Started = sequence.State is not null,
                ResetPending = sequence.State is null,
            };
            _table.Add(sequence.Id, seq);
            HoldSpill(seq, sequence.State?.TotalBytes ?? 0);
            seq.Snapshot = sequence.State;
            MakeIdle(seq);
            PublishGauges();
        }
        NotifyStarted(sequence.Id);
        FlushSignals();
    }
}
