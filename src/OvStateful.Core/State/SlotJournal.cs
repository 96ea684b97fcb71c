using OvStateful.Core.Sequences;

namespace OvStateful.Core.State;

/// <summary>
/// The durable copy of one model instance's slots: per slot two records of
/// <see cref="StateRecordLayout"/>, written in turn, so the one not being written always holds
/// the last complete state. The batcher writes a slot's record after each of its steps ran
/// and before the step's response completes, and empties it when the sequence leaves the
/// slot. Who may write slot s: the instance's loop while s's sequence is in flight; a holder of
/// the batcher's lock while it is not (the two never overlap for one slot).
/// </summary>
internal sealed class SlotJournal : IDisposable
{
    private readonly StateMemory _memory;
    private readonly StateRecordLayout _layout;
    // _stamps[2s + c]: the stamp copy c of slot s holds (0 = none); the older copy is written next.
    private readonly long[] _stamps;

    public SlotJournal(StateMemory memory, StateRecordLayout layout, int slotCount)
    {
        if (memory.Length < Bytes(layout, slotCount)) throw new ArgumentException($"a journal of {slotCount} slots needs {Bytes(layout, slotCount)} bytes; the block has {memory.Length}");
        _memory = memory;
        _layout = layout;
        SlotCount = slotCount;
        _stamps = new long[2 * slotCount];
    }

    public int SlotCount { get; }
    public StateRecordLayout Layout => _layout;

    public static long Bytes(StateRecordLayout layout, int slotCount) => 2L * slotCount * layout.Size;

    /// <summary>Starts rewriting slot <paramref name="slot"/>'s older copy; returns the state bytes to fill before <see cref="EndWrite"/>.</summary>
    public Span<byte> BeginWrite(int slot, long stamp)
    {
        var record = Record(slot, Older(slot));
        StateRecordLayout.Begin(record, stamp);
        return _layout.State(record);
    }

    /// <summary>Completes the copy <see cref="BeginWrite"/> started. False (and the slot emptied) when a string id is too long to keep.</summary>
    public bool EndWrite(int slot, long stamp, SequenceId id, long steps)
    {
        var copy = Older(slot);
        var kept = _layout.Seal(Record(slot, copy), stamp, id, steps);
        if (!kept) _layout.Seal(Record(slot, copy), stamp, default, 0);
        _stamps[2 * slot + copy] = stamp;
        _memory.MarkDirty();
        return kept;
    }

    /// <summary>Writes a state from elsewhere (a spilled copy being imported) as the slot's record.</summary>
    public bool Write(int slot, long stamp, SequenceId id, long steps, ReadOnlySpan<byte> state)
    {
        state.CopyTo(BeginWrite(slot, stamp));
        return EndWrite(slot, stamp, id, steps);
    }

    /// <summary>The slot holds no sequence any more: an empty record supersedes its state.</summary>
    public void Clear(int slot, long stamp)
    {
        BeginWrite(slot, stamp);
        EndWrite(slot, stamp, default, 0);
    }

    public void Flush() => _memory.Flush();

    public void Dispose() => _memory.Dispose();

    /// <summary>
    /// For recovery: each slot's newest complete record when it holds a sequence (an empty
    /// newest record means the slot's last sequence left), with the record's offset in <paramref name="memory"/>.
    /// </summary>
    public static List<SavedRecord> Scan(StateMemory memory, StateRecordLayout layout, int slotCount)
    {
        var found = new List<SavedRecord>();
        for (var slot = 0; slot < slotCount; slot++)
        {
            SavedRecord? best = null;
            for (var c = 0; c < 2; c++)
            {
                var offset = Offset(layout, slot, c);
                if (layout.TryRead(memory.Slice(offset, layout.Size), out var stamp, out var id, out var steps) && stamp > (best?.Stamp ?? 0))
                    best = new SavedRecord(stamp, id, steps, offset);
            }
            if (best is { Id.IsNone: false } b) found.Add(b);
        }
        return found;
    }

    private int Older(int slot) => _stamps[2 * slot] <= _stamps[2 * slot + 1] ? 0 : 1;

    private Span<byte> Record(int slot, int copy)
    {
        if ((uint)slot >= (uint)SlotCount) throw new ArgumentOutOfRangeException(nameof(slot), $"slot {slot} is outside 0..{SlotCount - 1}");
        return _memory.Slice(Offset(_layout, slot, copy), _layout.Size);
    }

    private static long Offset(StateRecordLayout layout, int slot, int copy) => (2L * slot + copy) * layout.Size;
}

/// <summary>A complete record found at recovery: its stamp, sequence, steps and where it lies in its block.</summary>
internal readonly record struct SavedRecord(long Stamp, SequenceId Id, long Steps, long Offset);
