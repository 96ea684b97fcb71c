using System.Globalization;

namespace OvStateful.Core.State;

/// <summary>
/// Where spilled (and restored) sequences' states live: fixed-size records of
/// <see cref="StateRecordLayout"/> in segments of <see cref="RecordsPerSegment"/>, numbered
/// 0, 1, …. Durable, the segments are files <c>spill-NNNNN.bin</c> in the model's state
/// folder; otherwise native memory. One record per spilled sequence and no object per state,
/// so a spilled Silero sequence costs its 1 KiB state plus a 40-byte header.
/// <para>
/// Threads: allocation and freeing under the batcher's lock (a free list: pointer moves);
/// a record's bytes are written and read by the instance loop that owns it at the time;
/// <see cref="Grow"/> (file creation, outside the batcher's lock) under its own lock. The
/// arena only hands out records in segments that already exist, and asks to grow ahead of need.
/// </para>
/// </summary>
internal sealed class SpillArena : IDisposable
{
    /// <summary>About this many bytes a segment (16 MiB: 15,768 Silero states).</summary>
    private const long SegmentBytes = 16L << 20;

    private readonly StateRecordLayout _layout;
    private readonly string? _directory;
    private readonly Lock _growLock = new();
    // Published whole (copy on grow) so loops read it without a lock; segment k holds records [k * RecordsPerSegment, (k + 1) * RecordsPerSegment).
    private StateMemory[] _segments = [];

    // --- under the batcher's lock ---
    // Invariant: _free[0.._freeCount) are distinct unused records below _bump; records below _bump not on it are in use.
    private int[] _free = new int[64];
    private int _freeCount;
    // Invariant: every record at or above _bump was never handed out (and is below the capacity or beyond it).
    private int _bump;
    private int _inUse;

    public SpillArena(StateRecordLayout layout, string? directory)
    {
        _layout = layout;
        _directory = directory;
        RecordsPerSegment = (int)Math.Clamp(SegmentBytes / layout.Size, 64, 1 << 20);
    }

    public StateRecordLayout Layout => _layout;
    public int RecordsPerSegment { get; }
    public bool IsDurable => _directory is not null;
    /// <summary>Records in use (under the batcher's lock).</summary>
    public int InUse => _inUse;
    /// <summary>Records the existing segments hold.</summary>
    public long Capacity => (long)Volatile.Read(ref _segments).Length * RecordsPerSegment;
    /// <summary>Set when fewer than half a segment is left: some loop should call <see cref="Grow"/> soon.</summary>
    public bool GrowthWanted => Volatile.Read(ref _growthWanted) != 0;
    private int _growthWanted;

    /// <summary>Under the batcher's lock: a free record, or -1 when every existing one is in use (then growth is wanted).</summary>
    public int TryAllocate()
    {
        int record;
        if (_freeCount > 0) record = _free[--_freeCount];
        else if (_bump < Capacity) record = _bump++;
        else record = -1;
        if (record >= 0) _inUse++;
        if (Capacity - _inUse < RecordsPerSegment / 2) Volatile.Write(ref _growthWanted, 1);
        return record;
    }

    /// <summary>Under the batcher's lock: the record is unused again; it no longer reads as a state.</summary>
    public void Free(int record)
    {
        StateRecordLayout.Invalidate(Record(record));
        if (_freeCount == _free.Length) Array.Resize(ref _free, _free.Length * 2);
        _free[_freeCount++] = record;
        _inUse--;
    }

    /// <summary>A record's bytes (its segment exists: it was handed out, or found at recovery).</summary>
    public Span<byte> Record(int record)
    {
        var segments = Volatile.Read(ref _segments);
        var (segment, index) = Math.DivRem(record, RecordsPerSegment);
        if ((uint)segment >= (uint)segments.Length) throw new ArgumentOutOfRangeException(nameof(record), $"spill record {record} is beyond the {segments.Length} segments");
        return segments[segment].Slice((long)index * _layout.Size, _layout.Size);
    }

    /// <summary>Marks the segment of <paramref name="record"/> written (for the next flush).</summary>
    public void Written(int record) => Volatile.Read(ref _segments)[record / RecordsPerSegment].MarkDirty();

    /// <summary>Adds one segment (a preallocated file, or native memory). Thread-safe; outside the batcher's lock. Throws IOException when the disk is full.</summary>
    public void Grow()
    {
        lock (_growLock)
        {
            var segments = _segments;
            var bytes = (long)RecordsPerSegment * _layout.Size;
            StateMemory added = _directory is null ? new NativeStateMemory(bytes) : MappedStateFile.Create(SegmentPath(_directory, segments.Length), bytes);
            Volatile.Write(ref _segments, [.. segments, added]);
            Volatile.Write(ref _growthWanted, 0);
        }
    }

    /// <summary>Maps the segments a previous run left (contiguous from 0) for recovery; returns how many.</summary>
    public int Adopt()
    {
        if (_directory is null) return 0;
        lock (_growLock)
        {
            if (_segments.Length > 0) throw new InvalidOperationException("the arena already has segments");
            var bytes = (long)RecordsPerSegment * _layout.Size;
            var adopted = new List<StateMemory>();
            while (File.Exists(SegmentPath(_directory, adopted.Count)))
            {
                var path = SegmentPath(_directory, adopted.Count);
                if (new FileInfo(path).Length < bytes) break; // cut short (a crash while creating it): nothing in it was ever handed out
                adopted.Add(MappedStateFile.Open(path, bytes));
            }
            // Segments past a gap or a short one were never reachable; a new one is created in their place when needed.
            for (var k = adopted.Count; File.Exists(SegmentPath(_directory, k)); k++) File.Delete(SegmentPath(_directory, k));
            Volatile.Write(ref _segments, [.. adopted]);
            return adopted.Count;
        }
    }

    /// <summary>Under the batcher's lock, at recovery: the records in use are exactly <paramref name="used"/>; all others below the capacity are free.</summary>
    public void SetInUse(IReadOnlyCollection<int> used)
    {
        var capacity = (int)Capacity;
        var taken = new bool[capacity];
        foreach (var r in used) taken[r] = true;
        _freeCount = 0;
        for (var r = capacity - 1; r >= 0; r--)
        {
            if (taken[r]) continue;
            if (_freeCount == _free.Length) Array.Resize(ref _free, Math.Max(_free.Length * 2, capacity));
            _free[_freeCount++] = r;
        }
        _bump = capacity;
        _inUse = used.Count;
        if (Capacity - _inUse < RecordsPerSegment / 2) Volatile.Write(ref _growthWanted, 1);
    }

    public void Flush()
    {
        foreach (var s in Volatile.Read(ref _segments)) s.Flush();
    }

    public void Dispose()
    {
        lock (_growLock)
        {
            foreach (var s in _segments) s.Dispose();
            _segments = [];
        }
    }

    public static string SegmentPath(string directory, int segment) =>
        Path.Combine(directory, "spill-" + segment.ToString("D5", CultureInfo.InvariantCulture) + ".bin");
}
