using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Tests.Sequences;

/// <summary>
/// A small deterministic C# engine for batcher tests (no ONNX Runtime or OpenVINO here):
/// each slot keeps a running sum of its steps' "x" (FP32 [1, width]) and a step counter.
/// Outputs: "sum" = the new running sum, "steps" (INT64 [1, 1]) = steps since START.
/// A step whose first x is NaN makes the whole batch fail (atomically, like a real engine).
/// </summary>
internal sealed class RunningSumTestEngine : IStatefulEngine
{
    private readonly int _width;
    private readonly float[][] _sum;
    private readonly long[] _steps;
    private readonly byte[][] _sumOut;
    private readonly byte[][] _stepsOut;
    private int _inside;

    /// <param name="feedsPaddingRows">Take direct batches' padding rows (READY clear: skipped, no outputs), as real engines that say so do.</param>
    public RunningSumTestEngine(int slotCount, int maxBatchSize, int width = 4, string model = "running_sum", bool feedsPaddingRows = false)
    {
        FeedsPaddingRows = feedsPaddingRows;
        SlotCount = slotCount;
        MaxBatchSize = maxBatchSize;
        ModelName = model;
        _width = width;
        _sum = new float[slotCount][];
        for (var i = 0; i < slotCount; i++) _sum[i] = new float[width];
        _steps = new long[slotCount];
        _sumOut = new byte[maxBatchSize][];
        _stepsOut = new byte[maxBatchSize][];
        for (var i = 0; i < maxBatchSize; i++)
        {
            _sumOut[i] = new byte[width * 4];
            _stepsOut[i] = new byte[8];
        }
        Inputs = [new TensorSpec("x", DataType.Fp32, [1, width])];
        Outputs = [new TensorSpec("sum", DataType.Fp32, [1, width]), new TensorSpec("steps", DataType.Int64, [1, 1])];
        States = [new StateSpec("sum_in", "sum_out", DataType.Fp32, [-1, width], 0), new StateSpec("steps_in", "steps_out", DataType.Int64, [-1, 1], 0)];
    }

    public bool FeedsPaddingRows { get; }
    public string EngineName => "running-sum-test";
    public string ModelName { get; }
    public int SlotCount { get; }
    public int MaxBatchSize { get; }
    public IReadOnlyList<TensorSpec> Inputs { get; }
    public IReadOnlyList<TensorSpec> Outputs { get; }
    public IReadOnlyList<StateSpec> States { get; }

    /// <summary>When set, Execute waits for it (lets tests hold the loop busy while steps queue).</summary>
    public ManualResetEventSlim? Gate { get; set; }
    /// <summary>Set when Execute has been entered (before waiting on <see cref="Gate"/>).</summary>
    public ManualResetEventSlim Entered { get; } = new(false);
    /// <summary>Each Execute's entries: (slot, flags, sequence id).</summary>
    public ConcurrentQueue<(int Slot, StepFlags Flags, SequenceId Id)[]> Batches { get; } = new();
    public bool RecordBatches { get; set; } = true;
    /// <summary>Set when two threads were inside the engine at once (engines are single-caller).</summary>
    public bool ConcurrentCallSeen { get; private set; }
    public int Exports, Imports;
    /// <summary>Bytes the calling (loop) thread allocated between the previous Execute's end and this one's start, per Execute.</summary>
    public ConcurrentQueue<long> LoopAllocations { get; } = new();
    private long _allocatedAtExit = -1;
    public bool FailExports { get; set; }

    public void Execute(StepBatch batch)
    {
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        if (_allocatedAtExit >= 0) LoopAllocations.Enqueue(allocated - _allocatedAtExit);
        Enter();
        try
        {
            Entered.Set();
            Gate?.Wait();
            if (RecordBatches)
            {
                var rec = new (int, StepFlags, SequenceId)[batch.Count];
                for (var e = 0; e < batch.Count; e++) rec[e] = (batch.Slot(e), batch.Flags(e), batch.SequenceId(e));
                Batches.Enqueue(rec);
            }
            // Atomic: check every entry before touching any state.
            for (var e = 0; e < batch.Count; e++)
            {
                if ((batch.Flags(e) & StepFlags.Ready) == 0) continue; // padding
                var x = MemoryMarshal.Cast<byte, float>(batch.Input(e, 0).Span);
                if (float.IsNaN(x[0])) throw new EngineException($"model '{ModelName}': NaN input in slot {batch.Slot(e)}");
            }
            for (var e = 0; e < batch.Count; e++)
            {
                if ((batch.Flags(e) & StepFlags.Ready) == 0) continue; // padding: no state change, no outputs
                var slot = batch.Slot(e);
                if ((batch.Flags(e) & StepFlags.Start) != 0)
                {
                    Array.Clear(_sum[slot]);
                    _steps[slot] = 0;
                }
                var x = MemoryMarshal.Cast<byte, float>(batch.Input(e, 0).Span);
                for (var i = 0; i < _width; i++) _sum[slot][i] += x[i];
                _steps[slot]++;
                MemoryMarshal.AsBytes(_sum[slot].AsSpan()).CopyTo(_sumOut[e]);
                BitConverter.TryWriteBytes(_stepsOut[e], _steps[slot]);
                batch.SetOutput(e, 0, _sumOut[e]);
                batch.SetOutput(e, 1, _stepsOut[e]);
            }
        }
        finally
        {
            Exit();
            _allocatedAtExit = GC.GetAllocatedBytesForCurrentThread();
        }
    }

    public void ResetSlot(int slot)
    {
        Array.Clear(_sum[slot]);
        _steps[slot] = 0;
    }

    public SlotSnapshot ExportSlot(int slot)
    {
        Enter();
        try
        {
            if (FailExports) throw new EngineException($"model '{ModelName}': export of slot {slot} failed (test)");
            Interlocked.Increment(ref Exports);
            return new SlotSnapshot([
                Tensor.FromArray("sum_in", DataType.Fp32, [1, _width], (float[])_sum[slot].Clone()),
                Tensor.FromArray("steps_in", DataType.Int64, [1, 1], new[] { _steps[slot] }),
            ]);
        }
        finally
        {
            Exit();
        }
    }

    public void ImportSlot(int slot, SlotSnapshot snapshot)
    {
        Enter();
        try
        {
            Interlocked.Increment(ref Imports);
            snapshot.States[0].ToArray<float>().CopyTo(_sum[slot], 0);
            _steps[slot] = snapshot.States[1].ToArray<long>()[0];
        }
        finally
        {
            Exit();
        }
    }

    public bool Disposed { get; private set; }

    public void Dispose() => Disposed = true;

    private void Enter()
    {
        if (Interlocked.Increment(ref _inside) != 1) ConcurrentCallSeen = true;
    }

    private void Exit() => Interlocked.Decrement(ref _inside);
}
