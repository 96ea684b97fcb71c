using OvStateful.Core.Engines;
using OvStateful.Core.State;
using OvStateful.OpenVino.Interop;

namespace OvStateful.OpenVino;

/// <summary>
/// openvino_mode = batched: one infer request for all slots. The slots' states live in a
/// <see cref="HostStateArena"/>; a batch gathers its slots' rows along each state's batch axis,
/// set_state()s every variable with the batched tensor, infers, get_state()s the new values and
/// scatters them back, only after every output and state was read (so a failure changes no slot).
/// When a batch holds exactly the slots of the previous successful one, in the same order, with no
/// START among them, the variables already hold those states (each infer's Assign wrote them, and
/// get_state copied the same values to the arena), so gather and set_state are skipped: the steady
/// single-sequence case and a steady set of sequences pay get_state only.
/// </summary>
internal sealed unsafe class BatchedStateMode : IStateMode
{
    private readonly string _model;
    private readonly ModelPlan _plan;
    private readonly OvInferRequest _request;
    private readonly HostStateArena _arena;
    // Port / variable index of each plan input, control, output and state in the request.
    private readonly int[] _inputPorts, _controlPorts, _outputPorts, _stateVariables;
    // Pinned staging for max_batch_size rows; native tensors wrap them during a run.
    private readonly byte[][] _inputs, _controls, _states;
    // Kept alive (and pinned) while the request's constant inputs point at them.
    private readonly byte[][] _constants;
    private readonly byte[][] _controlRows;
    private readonly long[][] _inputShapes, _controlShapes, _stateShapes;
    private readonly long[] _actualShape = new long[OvInferRequest.MaxRank];
    // The slots whose states the variables hold, in batch order: those of the last successful Run.
    // _heldCount = -1 when unknown (before the first run, after a failure, a reset or an import).
    private readonly int[] _held;
    private int _heldCount = -1;

    /// <param name="startRows">Per state: the row a sequence starts from, or null for zeros.</param>
    public BatchedStateMode(string model, ModelPlan plan, OvCompiledModel compiled, int slotCount, ArenaGrowth growth, IReadOnlyList<byte[]?> startRows)
    {
        _model = model;
        _plan = plan;
        var max = plan.MaxBatchSize;
        _inputPorts = plan.Inputs.Select(t => StepFeeds.Port(model, compiled, t.Name, output: false)).ToArray();
        _controlPorts = plan.Controls.Select(c => StepFeeds.Port(model, compiled, c.Name, output: false)).ToArray();
        _outputPorts = plan.Outputs.Select(t => StepFeeds.Port(model, compiled, t.Name, output: true)).ToArray();
        _inputs = plan.Inputs.Select(t => StepFeeds.Pinned(t.Layout.BatchBytes(max))).ToArray();
        _controls = plan.Controls.Select(c => StepFeeds.Pinned(c.Layout.BatchBytes(max))).ToArray();
        _controlRows = plan.Controls.Select(c => new byte[c.Layout.RowBytes]).ToArray();
        _inputShapes = plan.Inputs.Select(t => new long[t.ModelShape.Length]).ToArray();
        _controlShapes = plan.Controls.Select(c => new long[c.ModelShape.Length]).ToArray();
        var specs = plan.States.Select(s => s.Spec).ToArray();
        _arena = new HostStateArena(specs, slotCount, [.. startRows], growth);
        _states = specs.Select(s => StepFeeds.Pinned(s.SlotBytes * max)).ToArray();
        _stateShapes = specs.Select(s => new long[s.ModelShape.Length]).ToArray();
        _constants = plan.Constants.Select(k => { var p = StepFeeds.Pinned(k.Data.Length); k.Data.CopyTo(p, 0); return p; }).ToArray();
        _held = new int[max];

        _request = compiled.CreateInferRequest();
        try
        {
            _stateVariables = StatePairs.MapStates(model, specs, _request.StateNames);
            for (var k = 0; k < plan.Constants.Count; k++)
            {
                var c = plan.Constants[k];
                _request.SetInput(StepFeeds.Port(model, compiled, c.Name, output: false), c.DataType, c.Shape, StepFeeds.Address(_constants[k]));
            }
        }
        catch
        {
            _request.Dispose();
            throw;
        }
    }

    public HostStateArena Arena => _arena;

    public void Run(StepBatch batch, ReadOnlySpan<int> entries, ReadOnlySpan<int> slots, ReadOnlySpan<bool> fromInitial, byte[][][] outputRows)
    {
        var held = _heldCount == entries.Length && slots.SequenceEqual(_held.AsSpan(0, _heldCount)) && !fromInitial.Contains(true);
        _heldCount = -1; // until this run succeeds, nobody knows what the variables hold
        RunBatch(batch, entries, slots, fromInitial, outputRows, held);
        slots.CopyTo(_held);
        _heldCount = slots.Length;
    }

    private void RunBatch(StepBatch batch, ReadOnlySpan<int> entries, ReadOnlySpan<int> slots, ReadOnlySpan<bool> fromInitial, byte[][][] outputRows, bool held)
    {
        var b = entries.Length;
        for (var k = 0; k < _plan.Inputs.Count; k++)
        {
            var t = _plan.Inputs[k];
            for (var r = 0; r < b; r++) t.Layout.CopyRowIn(batch.Input(entries[r], k).Span, _inputs[k], r, b);
            StepFeeds.BatchShape(t.ModelShape, t.BatchAxis, b, _inputShapes[k]);
            _request.SetInput(_inputPorts[k], t.DataType, _inputShapes[k], StepFeeds.Address(_inputs[k]));
        }
        for (var c = 0; c < _plan.Controls.Count; c++)
        {
            var control = _plan.Controls[c];
            for (var r = 0; r < b; r++)
            {
                StepFeeds.FillControl(control, _controlRows[c], batch.Flags(entries[r]), batch.SequenceId(entries[r]));
                control.Layout.CopyRowIn(_controlRows[c], _controls[c], r, b);
            }
            StepFeeds.BatchShape(control.ModelShape, control.BatchAxis, b, _controlShapes[c]);
            _request.SetInput(_controlPorts[c], control.DataType, _controlShapes[c], StepFeeds.Address(_controls[c]));
        }
        for (var s = 0; s < _plan.States.Count && !held; s++)
        {
            var spec = _plan.States[s].Spec;
            var bytes = spec.SlotBytes * b;
            _arena.Gather(s, slots, fromInitial, _states[s].AsSpan(0, bytes), b);
            StepFeeds.BatchShape(spec.ModelShape, spec.BatchAxis, b, _stateShapes[s]);
            _request.SetState(_stateVariables[s], spec.DataType, _stateShapes[s], _states[s].AsSpan(0, bytes));
        }

        _request.Infer();

        for (var o = 0; o < _plan.Outputs.Count; o++)
        {
            var t = _plan.Outputs[o];
            var data = _request.GetOutput(_outputPorts[o], _actualShape, out var rank, out var type);
            StepFeeds.CheckShape(_model, "output", t.Name, t.ModelShape, t.BatchAxis, b, _actualShape.AsSpan(0, rank), t.DataType, type);
            var all = new ReadOnlySpan<byte>(data, t.Layout.BatchBytes(b));
            for (var r = 0; r < b; r++) t.Layout.CopyRowOut(all, r, b, outputRows[r][o]);
        }
        for (var s = 0; s < _plan.States.Count; s++)
        {
            var spec = _plan.States[s].Spec;
            var rank = _request.GetState(_stateVariables[s], spec.DataType, _states[s].AsSpan(0, spec.SlotBytes * b), _actualShape);
            StepFeeds.CheckShape(_model, "state", spec.InputName, spec.ModelShape, spec.BatchAxis, b, _actualShape.AsSpan(0, rank), spec.DataType, spec.DataType);
        }
        // Every output and state was read: commit.
        for (var s = 0; s < _plan.States.Count; s++) _arena.Scatter(s, slots, _states[s], b);
    }

    public void Reset(int slot)
    {
        _heldCount = -1;
        _arena.Reset(slot);
    }

    public SlotSnapshot Export(int slot) => _arena.Export(slot);

    public void Import(int slot, SlotSnapshot snapshot)
    {
        StepFeeds.SnapshotRows(_model, slot, _arena.States, snapshot); // throws EngineException naming the problem
        _heldCount = -1;
        _arena.Import(slot, snapshot);
    }

    public void Dispose() => _request.Dispose();
}
