using System.Buffers;
using OvStateful.Core.Engines;
using OvStateful.OpenVino.Interop;

namespace OvStateful.OpenVino;

/// <summary>
/// openvino_mode = per_slot: the model is compiled for batch 1 and every slot has its own infer
/// request, whose variables hold that slot's states for good (they never leave the request).
/// START resets the request's variables (reset(), or set_state with the config's initial_state).
/// Export/Import copy one slot's variables out and in with get_state/set_state.
/// </summary>
internal sealed unsafe class PerSlotStateMode : IStateMode
{
    private readonly string _model;
    private readonly ModelPlan _plan;
    private readonly StateSpec[] _states;
    // Per state: the row a START sets after reset(), or null to keep the variable's own initial value.
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
    private readonly long[] _actualShape = new long[OvInferRequest.MaxRank];

    /// <param name="dynamicVariables">Per state: its variable has a dynamic shape (a stateful IR), so reset() gives no
    /// batch-1 value and START sets zeros explicitly.</param>
    public PerSlotStateMode(string model, ModelPlan plan, OvCompiledModel compiled, int slotCount, IReadOnlyList<bool> dynamicVariables)
    {
        _model = model;
        _plan = plan;
        _states = plan.States.Select(s => s.Spec).ToArray();
        _startRows = plan.States.Select((s, i) => s.InitialRow ?? (dynamicVariables[i] ? new byte[s.Spec.SlotBytes] : null)).ToArray();
        _inputPorts = plan.Inputs.Select(t => StepFeeds.Port(model, compiled, t.Name, output: false)).ToArray();
        _controlPorts = plan.Controls.Select(c => StepFeeds.Port(model, compiled, c.Name, output: false)).ToArray();
        _outputPorts = plan.Outputs.Select(t => StepFeeds.Port(model, compiled, t.Name, output: true)).ToArray();
        _controls = plan.Controls.Select(c => StepFeeds.Pinned(c.Layout.RowBytes)).ToArray();
        _inputShapes = plan.Inputs.Select(t => new long[t.ModelShape.Length]).ToArray();
        _controlShapes = plan.Controls.Select(c => new long[c.ModelShape.Length]).ToArray();
        for (var k = 0; k < plan.Inputs.Count; k++) StepFeeds.BatchShape(plan.Inputs[k].ModelShape, plan.Inputs[k].BatchAxis, 1, _inputShapes[k]);
        for (var c = 0; c < plan.Controls.Count; c++) StepFeeds.BatchShape(plan.Controls[c].ModelShape, plan.Controls[c].BatchAxis, 1, _controlShapes[c]);
        _constants = plan.Constants.Select(k => { var p = StepFeeds.Pinned(k.Data.Length); k.Data.CopyTo(p, 0); return p; }).ToArray();
        _pins = new MemoryHandle[plan.Inputs.Count];

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
                StartFresh(request);
            }
            _stateVariables = _requests.Select(r => StatePairs.MapStates(model, _states, r.StateNames)).ToArray();
            for (var slot = 0; slot < slotCount; slot++) SetInitial(slot);
        }
        catch
        {
            foreach (var r in _requests) r?.Dispose();
            throw;
        }
    }

    public void Run(StepBatch batch, ReadOnlySpan<int> entries, ReadOnlySpan<int> slots, ReadOnlySpan<bool> fromInitial, byte[][][] outputRows)
    {
        for (var r = 0; r < entries.Length; r++)
        {
            var e = entries[r];
            var request = _requests[slots[r]];
            if (fromInitial[r])
            {
                StartFresh(request);
                SetInitial(slots[r]);
            }
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

    public void Reset(int slot)
    {
        StartFresh(Request(slot));
        SetInitial(slot);
    }

    public SlotSnapshot Export(int slot)
    {
        var request = Request(slot);
        var tensors = new Core.Tensors.Tensor[_states.Length];
        for (var s = 0; s < _states.Length; s++)
        {
            var spec = _states[s];
            var bytes = new byte[spec.SlotBytes];
            var rank = request.GetState(_stateVariables[slot][s], bytes, _actualShape);
            StepFeeds.CheckShape(_model, "state", spec.InputName, spec.ModelShape, spec.BatchAxis, 1, _actualShape.AsSpan(0, rank), spec.DataType, spec.DataType);
            tensors[s] = new Core.Tensors.Tensor(spec.InputName, spec.DataType, spec.SlotShape, bytes);
        }
        return new SlotSnapshot(tensors);
    }

    public void Import(int slot, SlotSnapshot snapshot)
    {
        var request = Request(slot);
        var rows = StepFeeds.SnapshotRows(_model, slot, _states, snapshot);
        for (var s = 0; s < _states.Length; s++) request.SetState(_stateVariables[slot][s], _states[s].DataType, _states[s].SlotShape, rows[s].Span);
    }

    public void Dispose()
    {
        foreach (var r in _requests) r.Dispose();
    }

    private OvInferRequest Request(int slot) =>
        (uint)slot < (uint)_requests.Length ? _requests[slot] : throw new ArgumentOutOfRangeException(nameof(slot), $"slot {slot} is outside 0..{_requests.Length - 1}");

    // reset() puts every variable back to its ReadValue initial value (zeros after MakeStateful).
    private static void StartFresh(OvInferRequest request) => request.ResetState(-1);

    // A config initial_state (or zeros, for a variable reset() cannot shape) replaces the model's own initial value.
    private void SetInitial(int slot)
    {
        for (var s = 0; s < _states.Length; s++)
        {
            if (_startRows[s] is { } row) _requests[slot].SetState(_stateVariables[slot][s], _states[s].DataType, _states[s].SlotShape, row);
        }
    }
}
