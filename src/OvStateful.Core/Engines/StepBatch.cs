using OvStateful.Core.Sequences;

namespace OvStateful.Core.Engines;

/// <summary>
/// One batch of sequence steps handed to <see cref="IStatefulEngine.Execute"/>: up to
/// <see cref="Capacity"/> entries, each a slot, its controls and its request inputs
/// (in the engine's <see cref="IStatefulEngine.Inputs"/> order, each exactly
/// <see cref="TensorSpec.RequestShape"/>). The engine writes each entry's outputs back.
/// Reused from batch to batch, so forming and executing a batch allocates nothing.
/// </summary>
public sealed class StepBatch
{
    // Invariants: 0 <= count <= capacity; entry i < count has slots[i] unique within the batch;
    // inputs/outputs are row-major [entry * inputCount + input].
    private readonly int[] _slots;
    private readonly StepFlags[] _flags;
    private readonly SequenceId[] _ids;
    private readonly ReadOnlyMemory<byte>[] _inputs;
    private readonly ReadOnlyMemory<byte>[] _outputs;
    private int _count;

    public StepBatch(int capacity, int inputCount, int outputCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        InputCount = inputCount;
        OutputCount = outputCount;
        _slots = new int[capacity];
        _flags = new StepFlags[capacity];
        _ids = new SequenceId[capacity];
        _inputs = new ReadOnlyMemory<byte>[capacity * inputCount];
        _outputs = new ReadOnlyMemory<byte>[capacity * outputCount];
    }

    public int Capacity { get; }
    public int InputCount { get; }
    public int OutputCount { get; }
    public int Count => _count;

    /// <summary>Forgets all entries (and the engine's output views) so the batch can be refilled.</summary>
    public void Clear()
    {
        _inputs.AsSpan(0, _count * InputCount).Clear();
        _outputs.AsSpan(0, _count * OutputCount).Clear();
        _ids.AsSpan(0, _count).Clear();
        _count = 0;
    }

    /// <summary>Adds a step for <paramref name="slot"/> (flagged <see cref="StepFlags.Ready"/>); returns its entry index.</summary>
    public int Add(int slot, StepFlags flags, SequenceId sequenceId)
    {
        if (_count == Capacity) throw new InvalidOperationException($"the batch is full ({Capacity} entries)");
        for (var i = 0; i < _count; i++)
        {
            if (_slots[i] == slot) throw new InvalidOperationException($"slot {slot} is already in this batch; a batch holds at most one step per sequence");
        }
        var e = _count++;
        _slots[e] = slot;
        _flags[e] = flags | StepFlags.Ready;
        _ids[e] = sequenceId;
        return e;
    }

    /// <summary>
    /// Adds a padding row for <paramref name="slot"/> (Triton's null request in a direct batch): no
    /// step, <see cref="StepFlags.Ready"/> clear, no inputs; only for engines whose
    /// <see cref="IStatefulEngine.FeedsPaddingRows"/> is true. Returns its entry index.
    /// </summary>
    public int AddPadding(int slot)
    {
        var e = Add(slot, StepFlags.None, default);
        _flags[e] = StepFlags.None;
        return e;
    }

    public void SetInput(int entry, int input, ReadOnlyMemory<byte> data) => _inputs[Index(entry, input, InputCount)] = data;

    public int Slot(int entry) => _slots[CheckEntry(entry)];
    public StepFlags Flags(int entry) => _flags[CheckEntry(entry)];
    public SequenceId SequenceId(int entry) => _ids[CheckEntry(entry)];
    public ReadOnlyMemory<byte> Input(int entry, int input) => _inputs[Index(entry, input, InputCount)];

    /// <summary>
    /// Set by the engine. The memory belongs to the engine and stays valid until the
    /// engine's next Execute; callers copy what they keep. Empty for steps the engine
    /// did not infer (END steps with infer_end_requests = 0).
    /// </summary>
    public void SetOutput(int entry, int output, ReadOnlyMemory<byte> data) => _outputs[Index(entry, output, OutputCount)] = data;
    public ReadOnlyMemory<byte> Output(int entry, int output) => _outputs[Index(entry, output, OutputCount)];

    private int CheckEntry(int entry)
    {
        if ((uint)entry >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(entry), $"entry {entry} is not in the batch of {_count}");
        return entry;
    }

    private int Index(int entry, int k, int perEntry)
    {
        CheckEntry(entry);
        if ((uint)k >= (uint)perEntry) throw new ArgumentOutOfRangeException(nameof(k), $"tensor index {k} is outside 0..{perEntry - 1}");
        return entry * perEntry + k;
    }
}
