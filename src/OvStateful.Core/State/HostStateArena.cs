using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.State;

/// <summary>
/// The states of every slot in host memory: per state pair, rows of
/// <see cref="StateSpec.SlotBytes"/>, one per slot, in pinned chunks (so a run can bind
/// them in place). A batch gathers its slots' rows into the model's state input along the
/// state's batch axis and, only after the run succeeded, scatters the new states back.
/// Not thread-safe: one engine instance (one caller) owns it.
/// </summary>
public sealed class HostStateArena
{
    private readonly StateSpec[] _states;
    private readonly BatchAxisLayout[] _layouts;
    // Per state: the row a fresh or reset slot holds (zeros unless the config gives an initial state), in the model's type.
    private readonly byte[][] _initialRows;
    // Per state: true when an FP32 state is kept as FP16 (store_states_as_fp16): rows are half the bytes.
    private readonly bool[] _half;
    // Per state: bytes of one stored row, and the initial row in stored form.
    private readonly int[] _storedRowBytes;
    private readonly byte[][] _initialStored;
    private readonly int _firstChunkSlots;
    private readonly int _chunkSlots;
    // [state][chunk]: pinned row storage, null until a slot of the chunk is first written.
    private readonly byte[]?[][] _chunks;

    /// <param name="initialRows">Per state, one slot's initial bytes, or null for zeros.</param>
    /// <param name="storeFp32AsFp16">Keep FP32 states as FP16 (the stateful backend's store_states_as_fp16): half the memory, rounded to FP16 on every commit.</param>
    public HostStateArena(IReadOnlyList<StateSpec> states, int slotCount, IReadOnlyList<byte[]?>? initialRows = null, ArenaGrowth? growth = null, bool storeFp32AsFp16 = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slotCount, 1);
        growth ??= ArenaGrowth.AllAtOnce;
        _states = [.. states];
        SlotCount = slotCount;
        _layouts = new BatchAxisLayout[_states.Length];
        _initialRows = new byte[_states.Length][];
        _firstChunkSlots = growth.InitialSlots > 0 ? Math.Min(growth.InitialSlots, slotCount) : slotCount;
        _chunkSlots = growth.SubsequentSlots > 0 ? growth.SubsequentSlots : _firstChunkSlots;
        var chunkCount = 1 + (slotCount - _firstChunkSlots + _chunkSlots - 1) / _chunkSlots;
        _chunks = new byte[]?[_states.Length][];
        _half = _states.Select(st => storeFp32AsFp16 && st.DataType == DataType.Fp32).ToArray();
        _storedRowBytes = new int[_states.Length];
        _initialStored = new byte[_states.Length][];
        for (var s = 0; s < _states.Length; s++)
        {
            var spec = _states[s];
            _layouts[s] = BatchAxisLayout.For(spec.ModelShape, spec.BatchAxis, spec.DataType);
            var init = initialRows is not null && s < initialRows.Count ? initialRows[s] : null;
            if (init is not null && init.Length != spec.SlotBytes)
            {
                throw new ArgumentException($"initial state for {spec.InputName} has {init.Length} bytes; {spec.SlotBytes} expected ({spec.DataType.WireName()} {Shapes.Format(spec.SlotShape)})");
            }
            _initialRows[s] = init ?? new byte[spec.SlotBytes];
            _storedRowBytes[s] = _half[s] ? spec.SlotBytes / 2 : spec.SlotBytes;
            _initialStored[s] = _half[s] ? new byte[_storedRowBytes[s]] : _initialRows[s];
            if (_half[s]) Fp16Rows.Narrow(_initialRows[s], _initialStored[s]);
            _chunks[s] = new byte[]?[chunkCount];
        }
    }

    public int SlotCount { get; }
    public IReadOnlyList<StateSpec> States => _states;
    public BatchAxisLayout Layout(int state) => _layouts[state];

    /// <summary>Bytes reserved so far across all states.</summary>
    public long ReservedBytes
    {
        get
        {
            long n = 0;
            foreach (var perState in _chunks)
                foreach (var c in perState) n += c?.Length ?? 0;
            return n;
        }
    }

    /// <summary>The initial row of a state (what START feeds).</summary>
    public ReadOnlySpan<byte> InitialRow(int state) => _initialRows[state];

    /// <summary>True when state <paramref name="state"/> is stored as FP16 (rows hold halves, not floats).</summary>
    public bool StoredAsFp16(int state) => _half[state];

    /// <summary>A slot's current state row as stored (its initial row when never written).</summary>
    public ReadOnlySpan<byte> Row(int state, int slot)
    {
        var (chunk, offset) = Locate(state, slot);
        var storage = _chunks[state][chunk];
        return storage is null ? _initialStored[state] : storage.AsSpan(offset, _storedRowBytes[state]);
    }

    /// <summary>A slot's state row for writing, as stored; reserves its chunk on first use.</summary>
    public Span<byte> WritableRow(int state, int slot)
    {
        var (chunk, offset) = Locate(state, slot);
        var storage = _chunks[state][chunk] ??= ReserveChunk(state, chunk);
        return storage.AsSpan(offset, _storedRowBytes[state]);
    }

    public void Reset(int slot)
    {
        for (var s = 0; s < _states.Length; s++)
        {
            var (chunk, _) = Locate(s, slot);
            if (_chunks[s][chunk] is null) continue; // never written: already initial
            _initialStored[s].CopyTo(WritableRow(s, slot));
        }
    }

    /// <summary>
    /// Fills a batched state tensor of <paramref name="batchSize"/> rows: row i from slot
    /// <paramref name="slots"/>[i], or the initial row where <paramref name="fromInitial"/>[i].
    /// Rows past <c>slots.Length</c> (padding) get the initial row.
    /// </summary>
    public void Gather(int state, ReadOnlySpan<int> slots, ReadOnlySpan<bool> fromInitial, Span<byte> batch, int batchSize)
    {
        var layout = _layouts[state];
        for (var i = 0; i < batchSize; i++)
        {
            var live = i < slots.Length && !fromInitial[i];
            if (_half[state] && live) Fp16Rows.WidenRowIn(layout, Row(state, slots[i]), batch, i, batchSize);
            else layout.CopyRowIn(live ? Row(state, slots[i]) : _initialRows[state], batch, i, batchSize);
        }
    }

    /// <summary>Commits row i of a batched new-state tensor to slot <paramref name="slots"/>[i]; a slot of -1 (a padding row) commits nothing.</summary>
    public void Scatter(int state, ReadOnlySpan<int> slots, ReadOnlySpan<byte> batch, int batchSize)
    {
        var layout = _layouts[state];
        for (var i = 0; i < slots.Length; i++)
        {
            if (slots[i] < 0) continue;
            if (_half[state]) Fp16Rows.NarrowRowOut(layout, batch, i, batchSize, WritableRow(state, slots[i]));
            else layout.CopyRowOut(batch, i, batchSize, WritableRow(state, slots[i]));
        }
    }

    /// <summary>
    /// When state <paramref name="state"/> has its batch axis at 0 and slots
    /// <paramref name="firstSlot"/>..+<paramref name="count"/> lie in one reserved chunk, their rows
    /// already form the batched tensor: returns that memory so a run can read it in place.
    /// </summary>
    public bool TryGetContiguous(int state, int firstSlot, int count, out Memory<byte> rows)
    {
        rows = default;
        if (_layouts[state].Outer != 1 || count < 1 || _half[state]) return false;
        var (chunk, offset) = Locate(state, firstSlot);
        var (lastChunk, _) = Locate(state, firstSlot + count - 1);
        var storage = _chunks[state][chunk];
        if (chunk != lastChunk || storage is null) return false;
        rows = storage.AsMemory(offset, count * _states[state].SlotBytes);
        return true;
    }

    public SlotSnapshot Export(int slot)
    {
        var tensors = new Tensor[_states.Length];
        for (var s = 0; s < _states.Length; s++)
        {
            var spec = _states[s];
            var row = new byte[spec.SlotBytes];
            if (_half[s]) Fp16Rows.Widen(Row(s, slot), row);
            else Row(s, slot).CopyTo(row);
            tensors[s] = new Tensor(spec.InputName, spec.DataType, spec.SlotShape, row);
        }
        return new SlotSnapshot(tensors);
    }

    public void Import(int slot, SlotSnapshot snapshot)
    {
        // Check everything before writing anything, so a bad snapshot changes no state.
        var rows = new ReadOnlyMemory<byte>[_states.Length];
        for (var s = 0; s < _states.Length; s++)
        {
            var spec = _states[s];
            var t = snapshot.States.FirstOrDefault(x => x.Name == spec.InputName)
                ?? throw new ArgumentException($"snapshot has no state {spec.InputName}; it holds {string.Join(", ", snapshot.States.Select(x => x.Name))}");
            if (t.DataType != spec.DataType || t.Data.Length != spec.SlotBytes)
            {
                throw new ArgumentException($"snapshot state {spec.InputName} is {t.DataType.WireName()} {Shapes.Format(t.Shape)} ({t.Data.Length} bytes); expected {spec.DataType.WireName()} {Shapes.Format(spec.SlotShape)} ({spec.SlotBytes} bytes)");
            }
            rows[s] = t.Data;
        }
        for (var s = 0; s < _states.Length; s++)
        {
            if (_half[s]) Fp16Rows.Narrow(rows[s].Span, WritableRow(s, slot));
            else rows[s].Span.CopyTo(WritableRow(s, slot));
        }
    }

    private (int Chunk, int Offset) Locate(int state, int slot)
    {
        if ((uint)slot >= (uint)SlotCount) throw new ArgumentOutOfRangeException(nameof(slot), $"slot {slot} is outside 0..{SlotCount - 1}");
        var rowBytes = _storedRowBytes[state];
        if (slot < _firstChunkSlots) return (0, slot * rowBytes);
        var rest = slot - _firstChunkSlots;
        return (1 + rest / _chunkSlots, rest % _chunkSlots * rowBytes);
    }

    private byte[] ReserveChunk(int state, int chunk)
    {
        var slots = chunk == 0 ? _firstChunkSlots : Math.Min(_chunkSlots, SlotCount - _firstChunkSlots - (chunk - 1) * _chunkSlots);
        var rowBytes = _storedRowBytes[state];
        // Pinned: runs may bind these rows in place, so the GC must never move them.
        var storage = GC.AllocateUninitializedArray<byte>(slots * rowBytes, pinned: true);
        for (var i = 0; i < slots; i++) _initialStored[state].CopyTo(storage.AsSpan(i * rowBytes, rowBytes));
        return storage;
    }
}
