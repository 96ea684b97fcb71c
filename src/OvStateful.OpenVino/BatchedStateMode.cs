using OvStateful.Core.Engines;
using OvStateful.Core.State;
using OvStateful.OpenVino.Interop;

namespace OvStateful.OpenVino;

/// <summary>
/// openvino_mode = batched: one infer request for all slots. The slots' states live in a
/// <see cref="HostStateArena"/>; a batch gathers its slots' rows along each state's batch axis,
/// set_state()s every variable with the batched tensor, infers, get_state()s the new values and
/// scatters them back, only after every output and state was read (so a failure changes no slot).
/// One-row batches run on a second lane compiled for batch 1 when the model has one (static shapes
/// are faster there). When a batch holds exactly the slots of its lane's previous successful run,
/// in the same order, with no START among them, the variables already hold those states (each
/// infer's Assign wrote them, and get_state copied the same values to the arena), so gather and
/// set_state are skipped: a steady single sequence, or a steady set of sequences, pays get_state only.
/// </summary>
internal sealed unsafe class BatchedStateMode : IStateMode
{
    private readonly string _model;
    private readonly ModelPlan _plan;
    private readonly HostStateArena _arena;
    // The dynamic-batch lane, and the batch-1 lane for one-row batches (null: one-row batches use the dynamic one).
    private readonly BatchLane _batched;
    private readonly BatchLane? _single;
    // Pinned staging for max_batch_size rows; native tensors wrap them during a run.
    private readonly byte[][] _inputs, _controls, _states;
    // Kept alive (and pinned) while the requests' constant inputs point at them.
    private readonly byte[][] _constants;
    private readonly byte[][] _controlRows;
    private readonly long[][] _inputShapes, _controlShapes, _stateShapes;
    private readonly long[] _actualShape = new long[OvInferRequest.MaxRank];

    /// <param name="single">The model compiled for batch 1 (one-row batches run there), or null.</param>
    /// <param name="startRows">Per state: the row a sequence starts from, or null for zeros.</param>
    public BatchedStateMode(string model, ModelPlan plan, OvCompiledModel compiled, OvCompiledModel? single, int slotCount, ArenaGrowth growth, IReadOnlyList<byte[]?> startRows)
    {
        _model = model;
        _plan = plan;
        var max = plan.MaxBatchSize;
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
        _batched = new BatchLane(model, plan, compiled, _constants);
        try
        {
            _single = single is null ? null : new BatchLane(model, plan, single, _constants);
        }
        catch
        {
            _batched.Dispose();
            throw;
        }
    }

    public HostStateArena Arena => _arena;

    public void Run(StepBatch batch, ReadOnlySpan<int> entries, ReadOnlySpan<int> slots, ReadOnlySpan<bool> fromInitial, byte[][][] outputRows)
    {
        var lane = entries.Length == 1 && _single is not null ? _single : _batched;
        var held = lane.Holds(slots, fromInitial);
        lane.Forget(); // until this run succeeds, nobody knows what the variables hold
        // The other lane's variables fall behind for any slot that runs here.
        (lane == _batched ? _single : _batched)?.Forget();
        RunBatch(lane, batch, entries, slots, fromInitial, outputRows, held);
        lane.Hold(slots);
    }

    private void RunBatch(BatchLane lane, StepBatch batch, ReadOnlySpan<int> entries, ReadOnlySpan<int> slots, ReadOnlySpan<bool> fromInitial, byte[][][] outputRows, bool held)
    {
        var b = entries.Length;
        var request = lane.Request;
        for (var k = 0; k < _plan.Inputs.Count; k++)
        {
            var t = _plan.Inputs[k];
            for (var r = 0; r < b; r++) t.Layout.CopyRowIn(batch.Input(entries[r], k).Span, _inputs[k], r, b);
            StepFeeds.BatchShape(t.ModelShape, t.BatchAxis, b, _inputShapes[k]);
            request.SetInput(lane.InputPorts[k], t.DataType, _inputShapes[k], StepFeeds.Address(_inputs[k]));
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
            request.SetInput(lane.ControlPorts[c], control.DataType, _controlShapes[c], StepFeeds.Address(_controls[c]));
        }
        for (var s = 0; s < _plan.States.Count && !held; s++)
        {
            var spec = _plan.States[s].Spec;
            var bytes = spec.SlotBytes * b;
            _arena.Gather(s, slots, fromInitial, _states[s].AsSpan(0, bytes), b);
            StepFeeds.BatchShape(spec.ModelShape, spec.BatchAxis, b, _stateShapes[s]);
            request.SetState(lane.StateVariables[s], spec.DataType, _stateShapes[s], _states[s].AsSpan(0, bytes));
        }

        request.Infer();

        for (var o = 0; o < _plan.Outputs.Count; o++)
        {
            var t = _plan.Outputs[o];
            var data = request.GetOutput(lane.OutputPorts[o], _actualShape, out var rank, out var type);
            StepFeeds.CheckShape(_model, "output", t.Name, t.ModelShape, t.BatchAxis, b, _actualShape.AsSpan(0, rank), t.DataType, type);
            var all = new ReadOnlySpan<byte>(data, t.Layout.BatchBytes(b));
            for (var r = 0; r < b; r++) t.Layout.CopyRowOut(all, r, b, outputRows[r][o]);
        }
        for (var s = 0; s < _plan.States.Count; s++)
        {
            var spec = _plan.States[s].Spec;
            var rank = request.GetState(lane.StateVariables[s], spec.DataType, _states[s].AsSpan(0, spec.SlotBytes * b), _actualShape);
            StepFeeds.CheckShape(_model, "state", spec.InputName, spec.ModelShape, spec.BatchAxis, b, _actualShape.AsSpan(0, rank), spec.DataType, spec.DataType);
        }
        // Every output and state was read: commit.
        for (var s = 0; s < _plan.States.Count; s++) _arena.Scatter(s, slots, _states[s], b);
    }

    public void Reset(int slot)
    {
        Forget();
        _arena.Reset(slot);
    }

    public SlotSnapshot Export(int slot) => _arena.Export(slot);

    public void Import(int slot, SlotSnapshot snapshot)
    {
        StepFeeds.SnapshotRows(_model, slot, _arena.States, snapshot); // throws EngineException naming the problem
        Forget();
        _arena.Import(slot, snapshot);
    }

    public void Dispose()
    {
        _batched.Dispose();
        _single?.Dispose();
    }

    // A slot's row changed outside a run: no lane may skip set_state for it.
    private void Forget()
    {
        _batched.Forget();
        _single?.Forget();
    }
}
