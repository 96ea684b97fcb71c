using Microsoft.ML.OnnxRuntime;
using OvStateful.Core.Engines;
using OvStateful.Core.State;

namespace OvStateful.OnnxRuntime;

/// <summary>
/// States in host memory (<see cref="HostStateArena"/>), for the CPU provider. A state whose
/// batch axis is 0, for a batch of consecutive slots none of which starts, is read in place
/// from the arena (no gather copy) through a binding made for that slot range; every other
/// batch is gathered into pinned staging. New states always land in staging first and are
/// committed only after a successful run.
/// </summary>
internal sealed class HostStateStore : IOrtStateStore
{
    private readonly HostStateArena _arena;
    private readonly StateSpec[] _states;
    // [state]: pinned staging for max-batch rows; batch size b uses the first b rows' bytes.
    private readonly byte[][] _stagingIn;
    private readonly byte[][] _stagingOut;
    // [state]: true when the state can be read in place (batch axis 0, stored in the model's own type).
    private readonly bool[] _inPlaceable;
    private readonly bool _anyInPlaceable;
    // [batchSize][state]: the staging input and output values for that size; null until first bound.
    private readonly OrtValue[]?[] _stagingInValues;
    private readonly OrtValue[]?[] _stagingOutValues;
    // Every value made here (staging and in-place), disposed with the store.
    private readonly List<OrtValue> _owned = [];

    public HostStateStore(HostStateArena arena, int maxBatchSize)
    {
        _arena = arena;
        _states = [.. arena.States];
        _stagingIn = _states.Select(s => GC.AllocateArray<byte>(s.SlotBytes * maxBatchSize, pinned: true)).ToArray();
        _stagingOut = _states.Select(s => GC.AllocateArray<byte>(s.SlotBytes * maxBatchSize, pinned: true)).ToArray();
        _inPlaceable = _states.Select((_, s) => arena.Layout(s).Outer == 1 && !arena.StoredAsFp16(s)).ToArray();
        _anyInPlaceable = _inPlaceable.Contains(true);
        _stagingInValues = new OrtValue[]?[maxBatchSize + 1];
        _stagingOutValues = new OrtValue[]?[maxBatchSize + 1];
    }

    public long ReservedBytes => _arena.ReservedBytes;

    public void Bind(OrtIoBinding binding, int batchSize, int inPlaceFirstSlot)
    {
        var inputs = _stagingInValues[batchSize] ??= _states.Select((spec, s) => Own(Staging(_stagingIn[s], spec, batchSize))).ToArray();
        var outputs = _stagingOutValues[batchSize] ??= _states.Select((spec, s) => Own(Staging(_stagingOut[s], spec, batchSize))).ToArray();
        for (var s = 0; s < _states.Length; s++)
        {
            var input = inPlaceFirstSlot >= 0 && _inPlaceable[s] ? Own(InPlace(s, inPlaceFirstSlot, batchSize)) : inputs[s];
            binding.BindInput(_states[s].InputName, input);
            binding.BindOutput(_states[s].OutputName, outputs[s]);
        }
    }

    public int InPlaceFirstSlot(ReadOnlySpan<int> slots, ReadOnlySpan<bool> fromInitial, int batchSize)
    {
        if (!_anyInPlaceable || slots.Length != batchSize || fromInitial.Contains(true) || !IsConsecutive(slots)) return -1;
        for (var s = 0; s < _states.Length; s++)
        {
            if (_inPlaceable[s] && !_arena.TryGetContiguous(s, slots[0], batchSize, out _)) return -1;
        }
        return slots[0];
    }

    public void Gather(ReadOnlySpan<int> slots, ReadOnlySpan<bool> fromInitial, int batchSize, bool inPlace)
    {
        for (var s = 0; s < _states.Length; s++)
        {
            if (inPlace && _inPlaceable[s]) continue;
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

    // The arena's chunks are pinned and never freed, so a value over its rows stays valid.
    private unsafe OrtValue InPlace(int state, int first, int count)
    {
        if (!_arena.TryGetContiguous(state, first, count, out var rows))
            throw new InvalidOperationException($"slots {first}..{first + count - 1} of state {_states[state].InputName} are not contiguous"); // InPlaceFirstSlot said they were
        fixed (byte* p = rows.Span)
        {
            return OrtTensors.OverMemory(OrtMemoryInfo.DefaultInstance, (IntPtr)p, rows.Length, _states[state].BatchShape(count), _states[state].DataType);
        }
    }

    private static OrtValue Staging(byte[] pinned, StateSpec spec, int batchSize) =>
        OrtTensors.OverPinned(pinned, (long)spec.SlotBytes * batchSize, spec.BatchShape(batchSize), spec.DataType);

    private static bool IsConsecutive(ReadOnlySpan<int> slots)
    {
        for (var i = 1; i < slots.Length; i++) if (slots[i] != slots[0] + i) return false;
        return true;
    }

    private OrtValue Own(OrtValue v)
    {
        _owned.Add(v);
        return v;
    }

    public void Dispose()
    {
        foreach (var v in _owned) v.Dispose();
    }
}
