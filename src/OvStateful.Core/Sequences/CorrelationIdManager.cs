namespace OvStateful.Core.Sequences;

/// <summary>Settings of a <see cref="CorrelationIdManager"/>.</summary>
public sealed record CorrelationIdManagerOptions
{
    /// <summary>A lease whose id has not started a sequence ends after this long without <see cref="CorrelationIdManager.Touch"/>.</summary>
    public TimeSpan LeaseIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>String ids are this prefix followed by a decimal number.</summary>
    public string StringPrefix { get; init; } = "ovs-";
    /// <summary>The first number handed out (then upward, wrapping past ulong.MaxValue and skipping 0).</summary>
    public ulong FirstId { get; init; } = 1;
    /// <summary>
    /// When set, ids survive restarts: the file holds a mark above every id handed out (raised
    /// a block at a time, written and synced before any id of the block is handed out), and a
    /// new manager starts at it, so no id is ever handed out twice. <see cref="FirstId"/> is
    /// then only the start of a new file.
    /// </summary>
    public string? HighWaterMarkFile { get; init; }
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// What a server uses: with a state folder, ids persisted in it (<c>sequence-ids</c>);
    /// without one, a random start in [2^32, 2^63), so ids handed out before a restart
    /// (whose clients may still hold them) are not handed out again after it.
    /// </summary>
    public static CorrelationIdManagerOptions ForServer(string? stateDirectory) => stateDirectory is { Length: > 0 }
        ? new CorrelationIdManagerOptions { HighWaterMarkFile = Path.Combine(stateDirectory, "sequence-ids"), FirstId = RandomBase() }
        : new CorrelationIdManagerOptions { FirstId = RandomBase() };

    private static ulong RandomBase() => (1UL << 32) + (ulong)Random.Shared.NextInt64(long.MaxValue - (1L << 32));
}

/// <summary>
/// Hands out correlation ids (the trtis-cidmgr idea, built into the server): unique uint64
/// or string ids, each under a lease that ends when its sequence ENDs or is released by
/// the batcher's idle timeout (the batcher tells it, as an <see cref="ISequenceLifecycleObserver"/>),
/// when the client releases it, or when it stays unused past the lease idle timeout. An id
/// is never handed out twice while leased. Thread-safe: one short lock per call.
/// </summary>
public sealed class CorrelationIdManager : ISequenceLifecycleObserver
{
    private readonly CorrelationIdManagerOptions _options;
    private readonly long _idleTicks;
    private readonly object _lock = new();
    // Under _lock. Invariant: every key is a live lease; _next is the next number to try (never 0).
    private readonly Dictionary<SequenceId, Lease> _leases = [];
    private ulong _next;
    // With a high-water mark file: ids below this may be handed out; reaching it writes a new mark first.
    private ulong _reservedUpTo;
    private long _nextSweep;
    private const ulong ReserveBlock = 4096;

    private sealed class Lease
    {
        /// <summary>Timestamp of acquisition or the last touch.</summary>
        public long LastTouched;
        /// <summary>A batcher runs a sequence with this id: its END or idle timeout ends the lease, not ours.</summary>
        public bool InUse;
    }

    public CorrelationIdManager(CorrelationIdManagerOptions? options = null)
    {
        _options = options ?? new CorrelationIdManagerOptions();
        _idleTicks = (long)(_options.LeaseIdleTimeout.TotalSeconds * _options.TimeProvider.TimestampFrequency);
        _next = _options.FirstId == 0 ? 1 : _options.FirstId;
        if (_options.HighWaterMarkFile is { } file && ReadMark(file) is { } mark)
        {
            _next = mark;
            _reservedUpTo = mark;
        }
    }

    /// <summary>The next number Acquire tries (tests set it to simulate the counter coming round).</summary>
    internal ulong NextCandidate
    {
        get { lock (_lock) return _next; }
        set { lock (_lock) _next = value == 0 ? 1 : value; }
    }

    /// <summary>Live leases now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                Sweep(_options.TimeProvider.GetTimestamp(), force: true);
                return _leases.Count;
            }
        }
    }

    /// <summary>Leases a new id of the given kind (<see cref="CorrelationIdKind.Any"/> gives uint64).</summary>
    public SequenceId Acquire(CorrelationIdKind kind = CorrelationIdKind.UInt64)
    {
        lock (_lock)
        {
            var now = _options.TimeProvider.GetTimestamp();
            Sweep(now, force: false);
            while (true)
            {
                var n = _next;
                if (_options.HighWaterMarkFile is { } file && n >= _reservedUpTo) Reserve(file, n);
                _next = n == ulong.MaxValue ? 1 : n + 1;
                var id = kind == CorrelationIdKind.String
                    ? new SequenceId(_options.StringPrefix + n.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    : new SequenceId(n);
                if (_leases.ContainsKey(id)) continue; // still leased after a wrap: skip it
                _leases.Add(id, new Lease { LastTouched = now });
                return id;
            }
        }
    }

    /// <summary>Ends a lease now. False when the id was not leased.</summary>
    public bool Release(SequenceId id)
    {
        lock (_lock) return _leases.Remove(id);
    }

    /// <summary>Renews an unused lease's idle timer. False when the id is not leased (any more).</summary>
    public bool Touch(SequenceId id)
    {
        lock (_lock)
        {
            var now = _options.TimeProvider.GetTimestamp();
            if (!TryGetLive(id, now, out var lease)) return false;
            lease.LastTouched = now;
            return true;
        }
    }

    public bool IsLeased(SequenceId id)
    {
        lock (_lock) return TryGetLive(id, _options.TimeProvider.GetTimestamp(), out _);
    }

    /// <summary>Ends every unused lease past its idle timeout; returns how many ended.</summary>
    public int ExpireIdle()
    {
        lock (_lock) return Sweep(_options.TimeProvider.GetTimestamp(), force: true);
    }

    void ISequenceLifecycleObserver.SequenceStarted(string modelName, SequenceId id)
    {
        lock (_lock)
        {
            if (_leases.TryGetValue(id, out var lease)) lease.InUse = true;
        }
    }

    void ISequenceLifecycleObserver.SequenceEnded(string modelName, SequenceId id, SequenceEndReason reason)
    {
        lock (_lock) _leases.Remove(id);
    }

    /// <summary>Under _lock: raises the mark past a block from <paramref name="n"/> and makes it durable before any id of the block is used.</summary>
    private void Reserve(string file, ulong n)
    {
        var mark = n > ulong.MaxValue - ReserveBlock ? ulong.MaxValue : n + ReserveBlock;
        var temp = file + ".new";
        using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            f.Write(System.Text.Encoding.ASCII.GetBytes(mark.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n"));
            f.Flush(flushToDisk: true);
        }
        File.Move(temp, file, overwrite: true);
        _reservedUpTo = mark;
    }

    private static ulong? ReadMark(string file)
    {
        if (!File.Exists(file)) return null;
        var text = File.ReadAllText(file).Trim();
        if (!ulong.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var mark) || mark == 0)
            throw new InvalidDataException($"the sequence id mark {file} holds \"{text}\"; expected a positive number (delete it only if no client holds an id from before)");
        return mark;
    }

    private bool TryGetLive(SequenceId id, long now, out Lease lease)
    {
        if (!_leases.TryGetValue(id, out lease!)) return false;
        if (lease.InUse || now - lease.LastTouched < _idleTicks) return true;
        _leases.Remove(id);
        return false;
    }

    // Amortized: a full pass at most twice per idle timeout unless forced.
    private int Sweep(long now, bool force)
    {
        if (!force && now < _nextSweep) return 0;
        _nextSweep = now + Math.Max(1, _idleTicks / 2);
        List<SequenceId>? expired = null;
        foreach (var (id, lease) in _leases)
        {
            if (!lease.InUse && now - lease.LastTouched >= _idleTicks) (expired ??= []).Add(id);
        }
        if (expired is null) return 0;
        foreach (var id in expired) _leases.Remove(id);
        return expired.Count;
    }
}
