using System.Buffers;
using OvStateful.Core.Engines;
using OvStateful.OpenVino.Interop;

namespace OvStateful.OpenVino;

/// <summary>
/// openvino_mode = per_slot: the model is compiled for batch 1 and every slot has its own infer
/// request, whose variables hold that slot's states for good (they never leave the request).
/// START resets the request's variables (reset(), then set_state with the start row).
/// A batch runs its rows' requests one after another; each row's states are copied aside before
/// its infer, and when a later row fails the rows already run get them back, so a failed batch
/// changes no slot. Export/Import copy one slot's variables out and in with get_state/set_state.
/// </summary>
internal sealed unsafe class PerSlotStateMode : IStateMode
{
    private readonly string _model;
    private readonly ModelPlan _plan;
    private readonly StateSpec[] _states;
    // Per state: the row a START sets after reset() (config initial_state, the model's constant, or zeros);
    // null where only reset() computes the model's own initial value (ComputedInitial).
    private readonly byte[]?[] _startRows;
    // One request per slot; index = slot.
    private readonly OvInferRequest[] _requests;
    private readonly int[] _inputPorts, _controlPorts, _outputPorts;
    // [slot][state]: the state's index in that slot's request (query_state order, checked per request).
    private readonly int[][] _stateVariables;
    private readonly byte[][] _controls;
    private readonly byte[][] _constants;
    private readonly long[][] _inputShapes, _controlShapes;
    private readonly MemoryHandle[] _pins;
    // [row][state]: the states row r's slot had before this batch, for putting back when a later row fails.
    private readonly byte[][][] _before;
    private readonly long[] _actualShape = new long[OvInferRequest.MaxRank];

    public PerSlotStateMode(string model, ModelPlan plan, OvCompiledModel compiled, int slotCount, IReadOnlyList<byte[]?> startRows, IReadOnlyList<bool> computedInitial)
    {
        _model = model;
        _plan = plan;
        _states = plan.States.Select(s => s.Spec).ToArray();
        _startRows = _states.Select((s, i) => computedInitial[i] ? null : startRows[i] ?? new byte[s.SlotBytes]).ToArray();
        _inputPorts = plan.Inputs.Select(t => StepFeeds.Port(model, compiled, t.Name, output: false)).ToArray();
        _controlPorts = plan.Controls.Select(c => StepFeeds.Port(model, compiled, c.Name, output: false)).ToArray();
        _outputPorts = plan.Outputs.Select(t => StepFeeds.Port(model, compiled, t.Name, output: true)).ToArray();
        _controls = plan.Controls.Select(c => StepFeeds.Pinned(c.Layout.RowBytes)).ToArray();
        _inputShapes = plan.Inputs.Select(t => t.BatchShape(1)).ToArray();
        _controlShapes = plan.Controls.Select(c => c.BatchShape(1)).ToArray();
        _constants = plan.Constants.Select(k => { var p = StepFeeds.Pinned(k.Data.Length); k.Data.CopyTo(p, 0); return p; }).ToArray();
        _pins = new MemoryHandle[plan.Inputs.Count];
        _before = Enumerable.Range(0, plan.MaxBatchSize).Select(_ => _states.Select(s => new byte[s.SlotBytes]).ToArray()).ToArray();

        _requests = new OvInferRequest[slotCount];
        try
        {
            for (var slot = 0; slot < slotCount; slot++)
            {
                var request = _requests[slot] = compiled.CreateInferRequest();
                for (var k = 0; k < plan.Constants.Count; k++)
                {
                    var c = plan.Constants[k];
                    request.SetInput(StepFeeds.Port(model, compiled, c.Name, output: false), c.DataType, c.Shape, StepFeeds.Address(_constants[k]));
                }
            }
            _stateVariables = _requests.Select(r => StatePairs.MapStates(model, _states, r.StateNames)).ToArray();
            for (var slot = 0; slot < slotCount; slot++) Reset(slot);
        }
        catch
        {
            foreach (var r in _requests) r?.Dispose();
            throw;
        }
    }

    public void Run(StepBatch batch, ReadOnlySpan<int> entries, ReadOnlySpan<int> slots, ReadOnlySpan<bool> fromInitial, byte[][][] outputRows)
    {
        // Rows 0..saved-1 have their states copied aside (and may have run).
        var saved = 0;
        try
        {
            for (var r = 0; r < entries.Length; r++)
            {
                var e = entries[r];
                var slot = slots[r];
                var request = _requests[slot];
                Save(slot, _before[r]);
                saved = r + 1;
                if (fromInitial[r]) Reset(slot);
                for (var c = 0; c < _plan.Controls.Count; c++)
                {
                    StepFeeds.FillControl(_plan.Controls[c], _controls[c], batch.Flags(e), batch.SequenceId(e));
                    request.SetInput(_controlPorts[c], _plan.Controls[c].DataType, _controlShapes[c], StepFeeds.Address(_controls[c]));
                }
                try
                {
                    // A batch-1 tensor is exactly the request's bytes: wrap them in place, pinned until infer returned.
                    for (var k = 0; k < _plan.Inputs.Count; k++)
                    {
                        _pins[k] = batch.Input(e, k).Pin();
                        request.SetInput(_inputPorts[k], _plan.Inputs[k].DataType, _inputShapes[k], _pins[k].Pointer);
                    }
                    request.Infer();
                }
                finally
                {
                    for (var k = 0; k < _pins.Length; k++)
                    {
                        _pins[k].Dispose();
                        _pins[k] = default;
                    }
                }
                for (var o = 0; o < _plan.Outputs.Count; o++)
                {
                    var t = _plan.Outputs[o];
                    var data = request.GetOutput(_outputPorts[o], _actualShape, out var rank, out var type);
                    StepFeeds.CheckShape(_model, "output", t.Name, t.ModelShape, t.BatchAxis, 1, _actualShape.AsSpan(0, rank), t.DataType, type);
                    new ReadOnlySpan<byte>(data, t.Layout.RowBytes).CopyTo(outputRows[r][o]);
                }
            }
        }
        catch
        {
            // The failing row included: its infer may have written some variables before it failed.
            for (var i = saved - 1; i >= 0; i--) Restore(slots[i], _before[i]);
            throw;
        }
    }

    public void Reset(int slot)
    {
        var request = Request(slot);
        // reset() first: it is what gives a variable whose initial value the model computes (ComputedInitial) that value.
        request.ResetState(-1);
        for (var s = 0; s < _states.Length; s++)
        {
            if (_startRows[s] is { } row) request.SetState(_stateVariables[slot][s], _states[s].DataType, _states[s].SlotShape, row);
        }
    }

    public SlotSnapshot Export(int slot)
    {
        var tensors = new Core.Tensors.Tensor[_states.Length];
        var rows = _states.Select(s => new byte[s.SlotBytes]).ToArray();
        Save(slot, rows);
        for (var s = 0; s < _states.Length; s++) tensors[s] = new Core.Tensors.Tensor(_states[s].InputName, _states[s].DataType, _states[s].SlotShape, rows[s]);
        return new SlotSnapshot(tensors);
    }

    public void Import(int slot, SlotSnapshot snapshot)
    {
        Request(slot);
        var rows = StepFeeds.SnapshotRows(_model, slot, _states, snapshot);
        Restore(slot, rows.Select(r => r.ToArray()).ToArray());
    }

    public void Dispose()
    {
        foreach (var r in _requests) r.Dispose();
    }

    private OvInferRequest Request(int slot) =>
        (uint)slot < (uint)_requests.Length ? _requests[slot] : throw new ArgumentOutOfRangeException(nameof(slot), $"slot {slot} is outside 0..{_requests.Length - 1}");

    // Copies the slot's states into rows[s] (one slot's bytes each), checking what OpenVINO returned.
    private void Save(int slot, byte[][] rows)
    {
        var request = _requests[slot];
        for (var s = 0; s < _states.Length; s++)
        {
            var spec = _states[s];
            var rank = request.GetState(_stateVariables[slot][s], spec.DataType, rows[s], _actualShape);
            StepFeeds.CheckShape(_model, "state", spec.InputName, spec.ModelShape, spec.BatchAxis, 1, _actualShape.AsSpan(0, rank), spec.DataType, spec.DataType);
        }
    }

    private void Restore(int slot, byte[][] rows)
    {
        var request = _requests[slot];
        for (var s = 0; s < _states.Length; s++) request.SetState(_stateVariables[slot][s], _states[s].DataType, _states[s].SlotShape, rows[s]);
    }
}
