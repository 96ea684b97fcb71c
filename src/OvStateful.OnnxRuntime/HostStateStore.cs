using OvStateful.Core.Engines;
using OvStateful.Core.State;
using OvStateful.OnnxRuntime.Interop;

namespace OvStateful.OnnxRuntime;

/// <summary>
/// States in host memory (<see cref="HostStateArena"/>), for the CPU provider. A state whose
/// batch axis is 0, for a batch of consecutive slots none of which starts, is read in place
/// from the arena (no gather copy); every other batch is gathered into pinned staging.
/// New states always land in staging first and are committed only after a successful run.
/// </summary>
internal sealed unsafe class HostStateStore : IOrtStateStore
{
    private readonly HostStateArena _arena;
    private readonly StateSpec[] _states;
    private readonly byte[][] _stagingIn;
    private readonly byte[][] _stagingOut;
    // [batchSize][state]: the staging input value bound for that batch size (made with its binding).
    private readonly OrtValueHandle?[][] _stagingInValues;
    // [batchSize][state]: true while the binding for that size reads the state in place from the arena.
    private readonly bool[][] _boundInPlace;
    // [state]: in-place values by (first slot, batch size). Batches keep reusing the same slot
    // ranges (free slots are handed out lowest first), so after warm-up this path allocates nothing.
    private readonly Dictionary<(int First, int Count), OrtValueHandle>[] _inPlaceValues;
    private readonly byte[][] _inputNames;
    private const int InPlaceCacheLimit = 4096;
    private readonly List<OrtValueHandle> _owned = [];

    public HostStateStore(HostStateArena arena, int maxBatchSize)
    {
        _arena = arena;
        _states = [.. arena.States];
        _stagingIn = _states.Select(s => GC.AllocateArray<byte>(s.SlotBytes * maxBatchSize, pinned: true)).ToArray();
        _stagingOut = _states.Select(s => GC.AllocateArray<byte>(s.SlotBytes * maxBatchSize, pinned: true)).ToArray();
        _stagingInValues = new OrtValueHandle?[maxBatchSize + 1][];
        _boundInPlace = new bool[maxBatchSize + 1][];
        _inPlaceValues = _states.Select(_ => new Dictionary<(int, int), OrtValueHandle>()).ToArray();
        _inputNames = _states.Select(s => Utf8.Z(s.InputName)).ToArray();

    }

    public long ReservedBytes => _arena.ReservedBytes;

    public void Bind(OrtIoBinding binding, int batchSize)
    {
        _stagingInValues[batchSize] = new OrtValueHandle?[_states.Length];
        _boundInPlace[batchSize] = new bool[_states.Length];
        for (var s = 0; s < _states.Length; s++)
        {
            var spec = _states[s];
            var shape = spec.BatchShape(batchSize);
            var input = Value(_stagingIn[s], spec.SlotBytes * batchSize, shape, spec);
            _stagingInValues[batchSize][s] = input;
            binding.BindInput(spec.InputName, input);
            binding.BindOutput(spec.OutputName, Value(_stagingOut[s], spec.SlotBytes * batchSize, shape, spec));
        }
    }

    public void Gather(OrtIoBinding binding, ReadOnlySpan<int> slots, ReadOnlySpan<bool> fromInitial, int batchSize)
    {
        var consecutive = slots.Length == batchSize && !fromInitial.Contains(true) && IsConsecutive(slots);
        for (var s = 0; s < _states.Length; s++)
        {
            var spec = _states[s];
            if (consecutive && _arena.TryGetContiguous(s, slots[0], batchSize, out var rows)
                && InPlaceValue(s, slots[0], batchSize, rows) is { } inPlace)
            {
                binding.BindInput(spec.InputName, inPlace, _inputNames[s]);
                _boundInPlace[batchSize][s] = true;
                continue;
            }
            if (_boundInPlace[batchSize][s])
            {
                binding.BindInput(spec.InputName, _stagingInValues[batchSize][s]!, _inputNames[s]);
                _boundInPlace[batchSize][s] = false;
            }
            _arena.Gather(s, slots, fromInitial, _stagingIn[s], batchSize);
        }
    }

    public void Commit(ReadOnlySpan<int> slots, int batchSize)
    {
        for (var s = 0; s < _states.Length; s++) _arena.Scatter(s, slots, _stagingOut[s], batchSize);
    }

    public void Reset(int slot) => _arena.Reset(slot);
    public SlotSnapshot Export(int slot) => _arena.Export(slot);
    public void Import(int slot, SlotSnapshot snapshot) => _arena.Import(slot, snapshot);

    // The arena's rows are pinned for its whole life, so a value over them stays valid.
    private OrtValueHandle? InPlaceValue(int state, int first, int count, Memory<byte> rows)
    {
        var cache = _inPlaceValues[state];
        if (cache.TryGetValue((first, count), out var v)) return v;
        if (cache.Count >= InPlaceCacheLimit) return null; // fall back to gathering; bounded native memory
        fixed (byte* p = rows.Span)
        {
            v = OrtTensor.OverMemory(OrtMemory.Cpu, p, rows.Length, _states[state].BatchShape(count), _states[state].DataType.ToOnnx());
        }
        cache[(first, count)] = v;
        return v;
    }

    private static bool IsConsecutive(ReadOnlySpan<int> slots)
    {
        for (var i = 1; i < slots.Length; i++) if (slots[i] != slots[0] + i) return false;
        return true;
    }

    private OrtValueHandle Value(byte[] pinned, int bytes, long[] shape, StateSpec spec)
    {
        var v = OrtTensor.OverPinned(pinned, bytes, shape, spec.DataType);
        _owned.Add(v);
        return v;
    }

    public void Dispose()
    {
        foreach (var cache in _inPlaceValues) foreach (var v in cache.Values) v.Dispose();
        foreach (var v in _owned) v.Dispose();
    }
}
