namespace OvStateful.Core.Sequences;

/// <summary>
/// Free slots of one instance in a min-heap by slot number, so new sequences take the
/// lowest free slot and batches stay small and dense (as Triton does). Allocation-free.
/// Guarded by the batcher's lock.
/// </summary>
internal sealed class SlotHeap
{
    // Invariant: _heap[0.._count) is a binary min-heap of distinct slot numbers in [0, capacity).
    private readonly int[] _heap;
    private int _count;

    /// <summary>A heap holding every slot 0..capacity-1 (a sorted array is already a heap).</summary>
    public SlotHeap(int capacity)
    {
        _heap = new int[capacity];
        for (var i = 0; i < capacity; i++) _heap[i] = i;
        _count = capacity;
    }

    public int Count => _count;
    public int Capacity => _heap.Length;

    public int Pop()
    {
        if (_count == 0) throw new InvalidOperationException("no free slot");
        var top = _heap[0];
        var last = _heap[--_count];
        var i = 0;
        while (true)
        {
            var c = 2 * i + 1;
            if (c >= _count) break;
            if (c + 1 < _count && _heap[c + 1] < _heap[c]) c++;
            if (last <= _heap[c]) break;
            _heap[i] = _heap[c];
            i = c;
        }
        if (_count > 0) _heap[i] = last;
        return top;
    }

    public void Push(int slot)
    {
        if (_count == _heap.Length) throw new InvalidOperationException($"slot {slot} freed twice: every slot is already free");
        var i = _count++;
        while (i > 0)
        {
            var parent = (i - 1) / 2;
            if (_heap[parent] <= slot) break;
            _heap[i] = _heap[parent];
            i = parent;
        }
        _heap[i] = slot;
    }

    /// <summary>For consistency checks: whether <paramref name="slot"/> is free (linear).</summary>
    public bool Contains(int slot) => Array.IndexOf(_heap, slot, 0, _count) >= 0;
}
