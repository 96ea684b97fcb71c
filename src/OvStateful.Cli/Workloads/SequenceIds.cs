namespace OvStateful.Cli.Workloads;

/// <summary>
/// Correlation ids as perf_analyzer's --sequence-id-range hands them out: counting up from the
/// start, wrapping before the end (exclusive) when one is given. A wrapped id that another
/// client's sequence still holds is not taken; the client reuses the id of its own sequence
/// that just ended instead (perf_analyzer's rule), so no two live sequences share an id.
/// </summary>
internal sealed class SequenceIds
{
    private readonly Lock _lock = new();
    private readonly ulong _start;
    // Ids in the range (end − start); 0 when unbounded.
    private readonly ulong _range;
    // Sequences handed out so far; the next id is start + _count (mod range).
    private ulong _count;
    // The id each client's current (or last) sequence holds; 0 before its first.
    private readonly ulong[] _held;

    /// <param name="end">Exclusive end of the range; null for no bound.</param>
    public SequenceIds(ulong start, ulong? end, int clients)
    {
        if (end is { } e)
        {
            if (e <= start) throw new UsageException($"--sequence-id-range {start}:{e}: the end (exclusive) must be above the start");
            if (e - start < (ulong)clients)
                throw new UsageException($"--sequence-id-range {start}:{e} holds {e - start} ids for {clients} concurrent sequences; live sequences would have to share an id (give a range of at least {clients})");
        }
        _start = start;
        _range = end is { } x ? x - start : 0;
        _held = new ulong[clients];
    }

    public ulong Next(int client)
    {
        lock (_lock)
        {
            var id = _range == 0 ? _start + _count : _start + _count % _range;
            _count++;
            if (_range != 0 && _held[client] != 0 && Array.IndexOf(_held, id) is var other && other >= 0 && other != client) id = _held[client];
            _held[client] = id;
            return id;
        }
    }
}
