namespace OvStateful.Core.Sequences;

/// <summary>
/// An intrusive doubly linked list of sequences (links live in <see cref="Sequence"/>),
/// so moving a sequence between the ready, idle and backlog lists allocates nothing and
/// removal from the middle (cancel, eviction) is O(1). Guarded by the batcher's lock.
/// </summary>
internal sealed class SequenceList(SequenceListKind kind)
{
    // Invariant: every member has List == Kind; _count is the number of members.
    private Sequence? _first, _last;
    private int _count;

    public SequenceListKind Kind { get; } = kind;
    public int Count => _count;
    public Sequence? First => _first;

    public void AddLast(Sequence s) => InsertAfter(_last, s);

    /// <summary>Inserts keeping ascending <paramref name="key"/> order, searching from the tail (new keys are usually the largest).</summary>
    public void InsertSorted(Sequence s, Func<Sequence, long> key)
    {
        var k = key(s);
        var after = _last;
        while (after is not null && key(after) > k) after = after.Prev;
        InsertAfter(after, s);
    }

    public Sequence RemoveFirst()
    {
        var s = _first ?? throw new InvalidOperationException($"the {Kind} list is empty");
        Remove(s);
        return s;
    }

    public void Remove(Sequence s)
    {
        if (s.List != Kind) throw new InvalidOperationException($"sequence {s.Id} is on the {s.List} list, not {Kind}");
        if (s.Prev is null) _first = s.Next; else s.Prev.Next = s.Next;
        if (s.Next is null) _last = s.Prev; else s.Next.Prev = s.Prev;
        s.Prev = s.Next = null;
        s.List = SequenceListKind.None;
        _count--;
    }

    private void InsertAfter(Sequence? after, Sequence s)
    {
        if (s.List != SequenceListKind.None) throw new InvalidOperationException($"sequence {s.Id} is already on the {s.List} list");
        s.List = Kind;
        s.Prev = after;
        s.Next = after is null ? _first : after.Next;
        if (s.Next is null) _last = s; else s.Next.Prev = s;
        if (after is null) _first = s; else after.Next = s;
        _count++;
    }
}
