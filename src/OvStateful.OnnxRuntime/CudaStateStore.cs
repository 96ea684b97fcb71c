using OvStateful.OnnxRuntime.Interop;
using Microsoft.ML.OnnxRuntime;
using OvStateful.Core.Engines;
using OvStateful.Core.State;
using OvStateful.Core.Tensors;

namespace OvStateful.OnnxRuntime;

/// <summary>
/// States in CUDA device memory, for the CUDA and TensorRT providers: per state one
/// allocation of slots × slot bytes, gathered into (and committed back from) device staging
/// with strided cudaMemcpy2DAsync copies: a slot's row is <c>outer</c> blocks of
/// <c>inner</c> bytes, block o of row b at <c>(o * B + b) * inner</c> in the batched tensor.
/// States never cross to the host except through Export/Import.
/// </summary>
internal sealed unsafe class CudaStateStore : IOrtStateStore
{
    private readonly StateSpec[] _states;
    private readonly BatchAxisLayout[] _layouts;
    private readonly int _slotCount;
    private readonly CudaDeviceBuffer[] _arena;
    private readonly CudaDeviceBuffer[] _initial;
    private readonly CudaDeviceBuffer[] _stagingIn;
    private readonly CudaDeviceBuffer[] _stagingOut;
    private readonly OrtMemoryInfo _memoryInfo;
    private readonly IntPtr _stream;
    // Device buffers and the values bound over them, disposed (in reverse) with the store.
    private readonly List<IDisposable> _owned = [];

    public CudaStateStore(ModelPlan plan, int slotCount, int deviceId)
    {
        CudaRuntime.SetDevice(deviceId);
        _slotCount = slotCount;
        _states = plan.States.Select(s => s.Spec).ToArray();
        _layouts = _states.Select(s => BatchAxisLayout.For(s.ModelShape, s.BatchAxis, s.DataType)).ToArray();
        _memoryInfo = new OrtMemoryInfo(OrtMemoryInfo.allocatorCUDA, OrtAllocatorType.DeviceAllocator, deviceId, OrtMemType.Default);
        _stream = CudaRuntime.CreateStream();
        var max = plan.MaxBatchSize;
        _arena = _states.Select(s => Own(new CudaDeviceBuffer((long)s.SlotBytes * slotCount))).ToArray();
        _initial = _states.Select(s => Own(new CudaDeviceBuffer(s.SlotBytes))).ToArray();
        _stagingIn = _states.Select(s => Own(new CudaDeviceBuffer((long)s.SlotBytes * max))).ToArray();
        _stagingOut = _states.Select(s => Own(new CudaDeviceBuffer((long)s.SlotBytes * max))).ToArray();
        for (var s = 0; s < _states.Length; s++)
        {
            var init = plan.States[s].InitialRow ?? new byte[_states[s].SlotBytes];
            fixed (byte* p = init) CudaRuntime.Copy(_initial[s].Pointer, (IntPtr)p, init.Length, CudaRuntime.HostToDevice, _stream);
            CudaRuntime.Synchronize(_stream);
            for (var slot = 0; slot < slotCount; slot++) CopyRow(_initial[s].Pointer, SlotRow(s, slot), s);
        }
        CudaRuntime.Synchronize(_stream);
    }

    public long ReservedBytes => _arena.Sum(b => b.Bytes);

    public void Bind(OrtIoBinding binding, int batchSize, int inPlaceFirstSlot)
    {
        for (var s = 0; s < _states.Length; s++)
        {
            var spec = _states[s];
            var shape = spec.BatchShape(batchSize);
            var bytes = (long)spec.SlotBytes * batchSize;
            binding.BindInput(spec.InputName, Own(OrtTensors.OverMemory(_memoryInfo, _stagingIn[s].Pointer, bytes, shape, spec.DataType)));
            binding.BindOutput(spec.OutputName, Own(OrtTensors.OverMemory(_memoryInfo, _stagingOut[s].Pointer, bytes, shape, spec.DataType)));
        }
    }

    /// <summary>Device states are always gathered (strided device copies are cheap next to a run).</summary>
    public int InPlaceFirstSlot(ReadOnlySpan<int> slots, ReadOnlySpan<bool> fromInitial, int batchSize) => -1;

    public void Gather(ReadOnlySpan<int> slots, ReadOnlySpan<bool> fromInitial, int batchSize, bool inPlace)
    {
        for (var s = 0; s < _states.Length; s++)
        {
            var l = _layouts[s];
            for (var i = 0; i < batchSize; i++)
            {
                var src = i < slots.Length && !fromInitial[i] ? SlotRow(s, slots[i]) : _initial[s].Pointer;
                CudaRuntime.Copy2D(_stagingIn[s].Pointer + i * l.InnerBytes, (long)batchSize * l.InnerBytes, src, l.InnerBytes,
                    l.InnerBytes, l.Outer, CudaRuntime.DeviceToDevice, _stream);
            }
        }
        // ORT runs on its own stream: the gathered states must be complete before it starts.
        CudaRuntime.Synchronize(_stream);
    }

    public void Commit(ReadOnlySpan<int> slots, int batchSize)
    {
        for (var s = 0; s < _states.Length; s++)
        {
            var l = _layouts[s];
            for (var i = 0; i < slots.Length; i++)
            {
                if (slots[i] < 0) continue; // a padding row commits nothing
                CudaRuntime.Copy2D(SlotRow(s, slots[i]), l.InnerBytes, _stagingOut[s].Pointer + i * l.InnerBytes, (long)batchSize * l.InnerBytes,
                    l.InnerBytes, l.Outer, CudaRuntime.DeviceToDevice, _stream);
            }
        }
        CudaRuntime.Synchronize(_stream);
    }

    public void Reset(int slot)
    {
        for (var s = 0; s < _states.Length; s++) CopyRow(_initial[s].Pointer, SlotRow(s, slot), s);
        CudaRuntime.Synchronize(_stream);
    }

    public SlotSnapshot Export(int slot)
    {
        var tensors = new Tensor[_states.Length];
        for (var s = 0; s < _states.Length; s++)
        {
            var spec = _states[s];
            var bytes = new byte[spec.SlotBytes];
            fixed (byte* p = bytes) CudaRuntime.Copy((IntPtr)p, SlotRow(s, slot), bytes.Length, CudaRuntime.DeviceToHost, _stream);
            CudaRuntime.Synchronize(_stream);
            tensors[s] = new Tensor(spec.InputName, spec.DataType, spec.SlotShape, bytes);
        }
        return new SlotSnapshot(tensors);
    }

    public void Import(int slot, SlotSnapshot snapshot)
    {
        // Validate against the same rules as the host arena before touching device memory.
        var check = new HostStateArena(_states, 1);
        check.Import(0, snapshot);
        for (var s = 0; s < _states.Length; s++)
        {
            var row = check.Row(s, 0).ToArray();
            fixed (byte* p = row) CudaRuntime.Copy(SlotRow(s, slot), (IntPtr)p, row.Length, CudaRuntime.HostToDevice, _stream);
            CudaRuntime.Synchronize(_stream);
        }
    }

    private IntPtr SlotRow(int state, int slot)
    {
        if ((uint)slot >= (uint)_slotCount) throw new ArgumentOutOfRangeException(nameof(slot), $"slot {slot} is outside 0..{_slotCount - 1}");
        return _arena[state].Pointer + (nint)((long)slot * _states[state].SlotBytes);
    }

    private void CopyRow(IntPtr src, IntPtr dst, int state) =>
        CudaRuntime.Copy(dst, src, _states[state].SlotBytes, CudaRuntime.DeviceToDevice, _stream);

    private T Own<T>(T d) where T : IDisposable
    {
        _owned.Add(d);
        return d;
    }

    public void Dispose()
    {
        foreach (var d in Enumerable.Reverse(_owned)) d.Dispose();
        _memoryInfo.Dispose();
        CudaRuntime.DestroyStream(_stream);
    }
}
