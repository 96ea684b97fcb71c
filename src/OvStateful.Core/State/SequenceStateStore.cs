using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OvStateful.Core.Sequences;

namespace OvStateful.Core.State;

/// <summary>A sequence found in the state folder at start: its id, steps applied, and the spill record holding its state.</summary>
internal readonly record struct RestoredSequence(SequenceId Id, long Steps, int SpillRecord);

/// <summary>
/// Durable live sequences of one model version: the folder
/// <c>&lt;state-dir&gt;/&lt;model&gt;/&lt;version&gt;</c> holding a lock file, <c>meta.json</c>
/// (the <see cref="StateFingerprint"/> and record layout), one <see cref="SlotJournal"/> file per
/// instance (<c>slots-N.bin</c>) and the <see cref="SpillArena"/>'s segments. Opening it recovers
/// what a previous run left: every sequence's newest complete record (journals and spill
/// merged by stamp) is moved into the spill arena and flushed before the old journals are
/// replaced, so a crash during recovery loses nothing either. States saved under another
/// fingerprint are dropped with the reason logged. A timer msyncs every
/// <see cref="BatcherOptions.StateSyncPeriod"/>; <see cref="Dispose"/> (graceful stop) flushes.
/// </summary>
internal sealed class SequenceStateStore : IDisposable
{
    private const int FormatVersion = 1;
    private const string MetaFile = "meta.json";
    /// <summary>At most this many dropped ids are remembered to answer "not restored" (the rest get the general message).</summary>
    private const int MaxRememberedLost = 100_000;

    private readonly FileStream _lock;
    private readonly SlotJournal[] _journals;
    private readonly Timer? _sync;
    private readonly ILogger? _logger;
    // The last stamp handed out: stamps only grow, across restarts too (recovery starts past the largest found).
    private long _stamp;
    private int _disposed;

    private SequenceStateStore(string directory, FileStream lockFile, SpillArena spill, SlotJournal[] journals, ILogger? logger, TimeSpan syncPeriod)
    {
        Directory = directory;
        _lock = lockFile;
        Spill = spill;
        _journals = journals;
        _logger = logger;
        if (syncPeriod > TimeSpan.Zero) _sync = new Timer(static s => ((SequenceStateStore)s!).FlushQuietly(), this, syncPeriod, syncPeriod);
    }

    public string Directory { get; }
    public SpillArena Spill { get; }
    /// <summary>Sequences recovered at open, each in a spill record.</summary>
    public IReadOnlyList<RestoredSequence> Restored { get; private init; } = [];
    /// <summary>Ids whose saved states were dropped at open, with why (at most <see cref="MaxRememberedLost"/>).</summary>
    public IReadOnlyDictionary<SequenceId, string> Lost { get; private init; } = new Dictionary<SequenceId, string>();
    /// <summary>When this run found states of a previous one (null when the folder was new).</summary>
    public DateTimeOffset? RestartedAt { get; private init; }

    public SlotJournal Journal(int instance) => _journals[instance];

    /// <summary>A stamp larger than every one before it (one per batch of writes).</summary>
    public long NextStamp() => Interlocked.Increment(ref _stamp);

    /// <summary>
    /// Opens (creating when new) and recovers the state folder of one model version. Throws
    /// IOException when another server holds it or the disk cannot hold the files.
    /// </summary>
    /// <param name="slotsPerInstance">This run's slots per instance (a journal each).</param>
    public static SequenceStateStore Open(string root, string model, string version, StateFingerprint fingerprint, StateRecordLayout layout,
        IReadOnlyList<int> slotsPerInstance, ILogger? logger, TimeSpan syncPeriod)
    {
        var directory = Path.Combine(root, model, version);
        System.IO.Directory.CreateDirectory(directory);
        FileStream lockFile;
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock): two servers never write one folder.
            lockFile = new FileStream(Path.Combine(directory, "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"model '{model}' version {version}: its state folder {directory} is in use by another server ({e.Message})", e);
        }
        SpillArena? spill = null;
        var journals = new List<SlotJournal>();
        try
        {
            var meta = ReadMeta(directory);
            var lost = new Dictionary<SequenceId, string>();
            DateTimeOffset? restartedAt = meta is null ? null : DateTimeOffset.UtcNow;
            string? dropReason = meta is null ? null
                : meta.Format == 0 ? $"the folder has state files but no readable {MetaFile}"
                : meta.Format != FormatVersion ? $"they were saved in format {meta.Format}; this server reads format {FormatVersion}"
                : fingerprint.DifferenceFrom(new StateFingerprint(meta.Fingerprint)) is { } d ? d
                : meta.KeyCapacity != layout.KeyCapacity || meta.StateBytes != layout.StateBytes ? $"their records hold {meta.StateBytes}-byte states and {meta.KeyCapacity}-byte ids; the model now needs {layout.StateBytes} and {layout.KeyCapacity}"
                : null;
            if (dropReason is not null)
            {
                if (meta!.Format == FormatVersion) CollectLost(directory, new StateRecordLayout(meta.KeyCapacity, meta.StateBytes), lost, dropReason);
                logger?.LogWarning("model '{Model}' version {Version}: dropped the saved states of {Count} sequences from {Directory}: {Reason}", model, version, lost.Count, directory, dropReason);
                DeleteDataFiles(directory);
                meta = null;
            }
            if (meta is null) WriteMeta(directory, new StoreMeta(FormatVersion, fingerprint.Parts.ToArray(), layout.KeyCapacity, layout.StateBytes));

            spill = new SpillArena(layout, directory);
            var (restored, maxStamp) = Recover(directory, layout, spill);
            for (var i = 0; i < slotsPerInstance.Count; i++)
            {
                var bytes = SlotJournal.Bytes(layout, slotsPerInstance[i]);
                journals.Add(new SlotJournal(MappedStateFile.Create(JournalPath(directory, i), bytes), layout, slotsPerInstance[i]));
            }
            if (restored.Count > 0)
                logger?.LogInformation("model '{Model}' version {Version}: restored {Count} live sequences from {Directory}", model, version, restored.Count, directory);
            return new SequenceStateStore(directory, lockFile, spill, [.. journals], logger, syncPeriod)
            {
                Restored = restored,
                Lost = lost,
                RestartedAt = restartedAt,
                _stamp = maxStamp,
            };
        }
        catch
        {
            foreach (var j in journals) j.Dispose();
            spill?.Dispose();
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Merges the spill segments and the old journals by stamp (newest complete record per
    /// sequence wins), invalidates the losers, copies journal winners into spill records,
    /// flushes, then deletes the old journals.
    /// </summary>
    private static (List<RestoredSequence> Restored, long MaxStamp) Recover(string directory, StateRecordLayout layout, SpillArena spill)
    {
        spill.Adopt();
        long maxStamp = 0;
        // id → (stamp, spill record or -1, journal file index, offset in it)
        var best = new Dictionary<SequenceId, (long Stamp, long Steps, int Record, int Journal, long Offset)>();
        var complete = new List<int>();
        for (var r = 0; r < spill.Capacity; r++)
        {
            var record = spill.Record(r);
            if (StateRecordLayout.StampOf(record) == 0) continue;
            if (!layout.TryRead(record, out var stamp, out var id, out var steps) || id.IsNone)
            {
                StateRecordLayout.Invalidate(record);
                continue;
            }
            maxStamp = Math.Max(maxStamp, stamp);
            complete.Add(r);
            if (!best.TryGetValue(id, out var b) || stamp > b.Stamp) best[id] = (stamp, steps, r, -1, 0);
        }

        var oldJournals = OldJournalFiles(directory);
        var mapped = new List<MappedStateFile>();
        var restored = new List<RestoredSequence>(best.Count);
        try
        {
            foreach (var (index, path) in oldJournals)
            {
                var length = new FileInfo(path).Length;
                var slots = (int)(length / (2L * layout.Size));
                if (slots == 0) { mapped.Add(null!); continue; }
                var file = MappedStateFile.Open(path, SlotJournal.Bytes(layout, slots));
                mapped.Add(file);
                foreach (var saved in SlotJournal.Scan(file, layout, slots))
                {
                    maxStamp = Math.Max(maxStamp, saved.Stamp);
                    if (!best.TryGetValue(saved.Id, out var b) || saved.Stamp > b.Stamp) best[saved.Id] = (saved.Stamp, saved.Steps, -1, mapped.Count - 1, saved.Offset);
                }
            }

            var used = new HashSet<int>();
            foreach (var (_, b) in best) if (b.Record >= 0) used.Add(b.Record);
            // Older records of a sequence that has a newer one must never come back.
            foreach (var r in complete) if (!used.Contains(r)) StateRecordLayout.Invalidate(spill.Record(r));
            spill.SetInUse(used);
            foreach (var (id, b) in best)
            {
                var record = b.Record;
                if (record < 0)
                {
                    record = AllocateGrowing(spill);
                    mapped[b.Journal].Slice(b.Offset, layout.Size).CopyTo(spill.Record(record));
                    spill.Written(record);
                }
                restored.Add(new RestoredSequence(id, b.Steps, record));
            }
            // The journals' states are in the spill files now; make that durable before the journals go.
            spill.Flush();
        }
        finally
        {
            foreach (var m in mapped) m?.Dispose();
        }
        foreach (var (_, path) in oldJournals) File.Delete(path);
        return (restored, maxStamp);
    }

    private static int AllocateGrowing(SpillArena spill)
    {
        var record = spill.TryAllocate();
        if (record >= 0) return record;
        spill.Grow();
        return spill.TryAllocate();
    }

    /// <summary>The ids in an incompatible folder's complete records (read with the layout they were saved in).</summary>
    private static void CollectLost(string directory, StateRecordLayout old, Dictionary<SequenceId, string> lost, string reason)
    {
        void Note(SequenceId id)
        {
            if (!id.IsNone && lost.Count < MaxRememberedLost) lost.TryAdd(id, reason);
        }
        try
        {
            var arena = new SpillArena(old, directory);
            using (arena)
            {
                arena.Adopt();
                for (var r = 0; r < arena.Capacity; r++)
                {
                    if (old.TryRead(arena.Record(r), out _, out var id, out _)) Note(id);
                }
            }
            foreach (var (_, path) in OldJournalFiles(directory))
            {
                var slots = (int)(new FileInfo(path).Length / (2L * old.Size));
                if (slots == 0) continue;
                using var file = MappedStateFile.Open(path, SlotJournal.Bytes(old, slots));
                foreach (var saved in SlotJournal.Scan(file, old, slots)) Note(saved.Id);
            }
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            // Unreadable leftovers are dropped all the same; only their ids go unnamed.
        }
    }

    private static List<(int Index, string Path)> OldJournalFiles(string directory)
    {
        var files = new List<(int, string)>();
        foreach (var path in System.IO.Directory.GetFiles(directory, "slots-*.bin"))
        {
            var name = Path.GetFileNameWithoutExtension(path);
            if (int.TryParse(name.AsSpan("slots-".Length), NumberStyles.None, CultureInfo.InvariantCulture, out var i)) files.Add((i, path));
        }
        files.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        return files;
    }

    private static void DeleteDataFiles(string directory)
    {
        foreach (var path in System.IO.Directory.GetFiles(directory, "*.bin")) File.Delete(path);
        foreach (var path in System.IO.Directory.GetFiles(directory, "*.bin.new")) File.Delete(path);
    }

    private static string JournalPath(string directory, int instance) => Path.Combine(directory, $"slots-{instance.ToString(CultureInfo.InvariantCulture)}.bin");

    private sealed record StoreMeta(int Format, string[] Fingerprint, int KeyCapacity, int StateBytes);

    private static StoreMeta? ReadMeta(string directory)
    {
        var path = Path.Combine(directory, MetaFile);
        if (!File.Exists(path)) return System.IO.Directory.GetFiles(directory, "*.bin").Length == 0 ? null : new StoreMeta(0, [], 0, 0);
        try
        {
            return JsonSerializer.Deserialize<StoreMeta>(File.ReadAllText(path)) ?? new StoreMeta(0, [], 0, 0);
        }
        catch (JsonException)
        {
            return new StoreMeta(0, [], 0, 0);
        }
    }

    private static void WriteMeta(string directory, StoreMeta meta)
    {
        var path = Path.Combine(directory, MetaFile);
        var temp = path + ".new";
        using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            JsonSerializer.Serialize(f, meta, new JsonSerializerOptions { WriteIndented = true });
            f.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>msync of every dirty journal and spill segment (the timer's work; also before a graceful stop).</summary>
    public void Flush()
    {
        foreach (var j in _journals) j.Flush();
        Spill.Flush();
    }

    private void FlushQuietly()
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        try
        {
            Flush();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            _logger?.LogWarning("state folder {Directory}: msync failed: {Message}", Directory, e.Message);
        }
    }

    /// <summary>Flushes and closes the files (the states stay for the next start) and releases the folder's lock.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_sync is not null)
        {
            // Wait for a running msync: the files are unmapped next.
            using var done = new ManualResetEvent(false);
            if (_sync.Dispose(done)) done.WaitOne();
        }
        foreach (var j in _journals) j.Dispose();
        Spill.Dispose();
        _lock.Dispose();
    }
}
