using OvStateful.Core.Sequences;

namespace OvStateful.Server.Sequences;

/// <summary>
/// The server's own allocator: numeric ids count up from a random 32-bit base (so ids of
/// one run rarely collide with ids a client picked by hand), string ids are random GUIDs.
/// </summary>
public sealed class CorrelationIdAllocator : ICorrelationIdAllocator
{
    private readonly Lock _lock = new();
    /// <summary>Ids handed out and not released; guarded by <see cref="_lock"/>.</summary>
    private readonly HashSet<SequenceId> _held = [];
    /// <summary>The last numeric id handed out; only grows (wraps past 0 after 2^64 ids).</summary>
    private ulong _next = (ulong)Random.Shared.NextInt64(1, uint.MaxValue) << 16;

    public SequenceId Allocate(bool asString)
    {
        lock (_lock)
        {
            while (true)
            {
                var id = asString ? new SequenceId(Guid.NewGuid().ToString("N")) : new SequenceId(++_next);
                if (!id.IsNone && _held.Add(id)) return id;
            }
        }
    }

    public bool Release(SequenceId id)
    {
        lock (_lock) return _held.Remove(id);
    }

    /// <summary>Ids currently held, for diagnostics and tests.</summary>
    public int HeldCount
    {
        get { lock (_lock) return _held.Count; }
    }
}
