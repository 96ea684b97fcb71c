using System.Diagnostics;
using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;
using OvStateful.OpenVino.Interop;

namespace OvStateful.OpenVino;

/// <summary>
/// The OpenVINO engine: a compiled model whose state pairs are ReadValue/Assign variables.
/// In batched mode the slots' states live in host memory and are moved into the variables
/// (set_state) and out again (get_state) around each run; in per-slot mode each slot owns an
/// infer request and its states never move. Either way a failed batch changes no committed
/// slot in batched mode (see <see cref="PerSlotStateMode"/> for per-slot). One caller at a time.
/// </summary>
public sealed class OpenVinoEngine : IStatefulEngine
{
    private readonly CompiledStatefulModel _model;
    private readonly IStateMode _mode;
    private readonly bool _inferEndRequests;
    // Per batch row and output: engine-owned bytes handed out through StepBatch.SetOutput (valid until the next Execute).
    private readonly byte[][][] _outputRows;
    // Scratch for one batch: entry, slot and "start from the initial state" per row that runs.
    private readonly int[] _entries;
    private readonly int[] _slots;
    private readonly bool[] _fromInitial;

    internal OpenVinoEngine(CompiledStatefulModel model, OpenVinoOptions options, int slotCount)
    {
        _model = model;
        var plan = model.Plan;
        Mode = options.Mode;
        _inferEndRequests = options.InferEndRequests;
        EngineName = options.Device == "CPU" ? "openvino" : "openvino:" + options.Device.ToLowerInvariant();
        SlotCount = slotCount;
        Device = options.Device;
        _mode = options.Mode == OpenVinoMode.PerSlot
            ? new PerSlotStateMode(plan.ModelName, plan, model.Compiled, slotCount, model.StartRows, model.ComputedInitial)
            : new BatchedStateMode(plan.ModelName, plan, model.Compiled, model.Single, slotCount, options.Growth, model.StartRows);
        var max = plan.MaxBatchSize;
        _outputRows = Enumerable.Range(0, max).Select(_ => plan.Outputs.Select(o => new byte[o.Layout.RowBytes]).ToArray()).ToArray();
        _entries = new int[max];
        _slots = new int[max];
        _fromInitial = new bool[max];
        Inputs = plan.Inputs.Select(t => t.Spec).ToArray();
        Outputs = plan.Outputs.Select(t => t.Spec).ToArray();
        States = plan.States.Select(s => s.Spec).ToArray();
    }

    public string EngineName { get; }
    public string ModelName => _model.Plan.ModelName;
    public OpenVinoMode Mode { get; }
    /// <summary>The OpenVINO device the model was compiled for ("CPU", "GPU", "AUTO", ...).</summary>
    public string Device { get; }
    /// <summary>The inference precision the device runs the model at, as OpenVINO reports it ("f32", "bf16"; "?" if the device does not say).</summary>
    public string Precision => _model.Precision;
    /// <summary>INFERENCE_NUM_THREADS as compiled ("0": the device's default), or "?".</summary>
    public string Threads => _model.Threads;

    /// <summary>
    /// For start-up tables: OpenVINO and its version, the device asked for and the one that runs
    /// (EXECUTION_DEVICES: what AUTO picked), the inference threads, and mode and precision as a note.
    /// </summary>
    public EngineDescription Description
    {
        get
        {
            var used = _model.ExecutionDevices is "?" or "" ? Device : _model.ExecutionDevices;
            var version = Interop.ShimLibrary.Availability.RuntimeVersion ?? "";
            return EngineDescription.Of(this) with
            {
                Runtime = "OpenVINO",
                // "2026.4.1-22982-e213a147257-releases/2026/4" -> "2026.4.1-22982"
                RuntimeVersion = string.Join('-', version.Split('-').Take(2)),
                DeviceRequested = Device,
                DeviceUsed = used,
                DeviceNote = used == Device ? null : $"{Device} picked {used}",
                IntraOpThreads = int.TryParse(Threads, out var t) ? t : 0,
            };
        }
    }
    public int SlotCount { get; }
    public int MaxBatchSize => _model.Plan.MaxBatchSize;
    public IReadOnlyList<TensorSpec> Inputs { get; }
    public IReadOnlyList<TensorSpec> Outputs { get; }
    public IReadOnlyList<StateSpec> States { get; }

    public void Execute(StepBatch batch)
    {
        if (batch.Count > MaxBatchSize) throw new EngineException($"model \"{ModelName}\": a batch of {batch.Count} exceeds max_batch_size {MaxBatchSize}");
        var rows = SelectRows(batch);
        if (rows == 0) return;
        try
        {
            _mode.Run(batch, _entries.AsSpan(0, rows), _slots.AsSpan(0, rows), _fromInitial.AsSpan(0, rows), _outputRows);
        }
        catch (OpenVinoException e)
        {
            throw new EngineException($"model \"{ModelName}\": the OpenVINO run of a batch of {rows} failed: {e.Message}", e);
        }
        for (var r = 0; r < rows; r++)
        {
            for (var o = 0; o < Outputs.Count; o++) batch.SetOutput(_entries[r], o, _outputRows[r][o]);
        }
    }

    // Checks every entry before anything runs; END-only steps are answered empty when infer_end_requests = 0.
    private int SelectRows(StepBatch batch)
    {
        var rows = 0;
        var plan = _model.Plan;
        for (var e = 0; e < batch.Count; e++)
        {
            var flags = batch.Flags(e);
            if (!_inferEndRequests && (flags & StepFlags.End) != 0 && (flags & StepFlags.Start) == 0) continue;
            var slot = batch.Slot(e);
            if ((uint)slot >= (uint)SlotCount) throw new EngineException($"model \"{ModelName}\": slot {slot} is outside 0..{SlotCount - 1}");
            for (var k = 0; k < plan.Inputs.Count; k++)
            {
                // RequestValidator checked every input's byte count before the step was queued.
                Debug.Assert(batch.Input(e, k).Length == plan.Inputs[k].Layout.RowBytes, $"input {plan.Inputs[k].Name}: {batch.Input(e, k).Length} bytes, {plan.Inputs[k].Layout.RowBytes} expected");
            }
            _entries[rows] = e;
            _slots[rows] = slot;
            _fromInitial[rows] = (flags & StepFlags.Start) != 0;
            rows++;
        }
        // Skipped END-only steps get empty outputs, after validation so a bad batch sets none.
        for (var e = 0; e < batch.Count; e++)
        {
            if (_entries.AsSpan(0, rows).Contains(e)) continue;
            for (var o = 0; o < Outputs.Count; o++) batch.SetOutput(e, o, ReadOnlyMemory<byte>.Empty);
        }
        return rows;
    }

    public void ResetSlot(int slot) => Guard(() => _mode.Reset(slot), $"reset slot {slot}");

    public SlotSnapshot ExportSlot(int slot)
    {
        SlotSnapshot? snapshot = null;
        Guard(() => snapshot = _mode.Export(slot), $"export slot {slot}");
        return snapshot!;
    }

    public void ImportSlot(int slot, SlotSnapshot snapshot) => Guard(() => _mode.Import(slot, snapshot), $"import into slot {slot}");

    public void Dispose()
    {
        _mode.Dispose();
        _model.Dispose();
    }

    private void Guard(Action action, string what)
    {
        try
        {
            action();
        }
        catch (OpenVinoException e)
        {
            throw new EngineException($"model \"{ModelName}\": cannot {what}: {e.Message}", e);
        }
    }
}
