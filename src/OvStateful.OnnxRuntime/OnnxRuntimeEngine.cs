using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;

namespace OvStateful.OnnxRuntime;

/// <summary>
/// The ONNX Runtime engine: an explicit state arena like the Triton stateful backend's.
/// A batch gathers its slots' states into the model's state inputs along each state's batch
/// axis, runs once through a cached IoBinding (the official C# API's RunWithBinding over our
/// pinned buffers), and only on success scatters the new states back and splits the outputs
/// per entry. One caller at a time; a step allocates nothing.
/// </summary>
public sealed class OnnxRuntimeEngine : IStatefulEngine
{
    private readonly ModelPlan _plan;
    private readonly InferenceSession _session;
    // One RunOptions for every run (creating one per run would allocate).
    private readonly RunOptions _runOptions = new();
    private readonly IOrtStateStore _states;
    private readonly OrtBatchBuffers _buffers;
    private readonly EngineBehaviour _behaviour;
    // What the session was opened with and the library's version, for Description.
    private readonly OrtSessionSettings _settings;
    private readonly string _runtimeVersion;
    // Per batch row and output: the engine-owned bytes handed out through StepBatch.SetOutput (BYTES rows grow as needed, then are reused).
    private readonly byte[][][] _outputRows;
    // Scratch for one batch: slot and "start from the initial state" per active row, and which batch entry each row is (-1 and slot -1: a padding row).
    private readonly int[] _slots;
    private readonly bool[] _fromInitial;
    private readonly int[] _entries;
    private readonly byte[][] _controlRows;
    private readonly byte[][] _zeroInputRows;

    internal OnnxRuntimeEngine(string engineName, OrtDevicePlacement placement, OrtSessionSettings settings, string runtimeVersion,
        ModelPlan plan, InferenceSession session, int slotCount, EngineBehaviour behaviour, Func<ModelPlan, IOrtStateStore> stateStore)
    {
        EngineName = engineName;
        Placement = placement;
        _settings = settings;
        _runtimeVersion = runtimeVersion;
        _plan = plan;
        _session = session;
        _behaviour = behaviour;
        SlotCount = slotCount;
        _states = stateStore(plan);
        _buffers = new OrtBatchBuffers(session, plan, _states);
        var max = plan.MaxBatchSize;
        _outputRows = Enumerable.Range(0, max).Select(_ => plan.Outputs.Select(o => new byte[o.Layout.RowBytes]).ToArray()).ToArray();
        _slots = new int[max];
        _fromInitial = new bool[max];
        _entries = new int[max];
        _controlRows = plan.Controls.Select(c => new byte[c.Layout.RowBytes]).ToArray();
        _zeroInputRows = plan.Inputs.Select(t => new byte[t.Layout.RowBytes]).ToArray();
        Inputs = plan.Inputs.Select(t => t.Spec).ToArray();
        Outputs = plan.Outputs.Select(t => t.Spec).ToArray();
        States = plan.States.Select(s => s.Spec).ToArray();
    }

    public string EngineName { get; }

    /// <summary>The device the config (or an override) asked for and the one this instance runs on.</summary>
    public OrtDevicePlacement Placement { get; }
    public string ModelName => _plan.ModelName;
    public int SlotCount { get; }
    public int MaxBatchSize => _plan.MaxBatchSize;
    public IReadOnlyList<TensorSpec> Inputs { get; }
    public IReadOnlyList<TensorSpec> Outputs { get; }
    public IReadOnlyList<StateSpec> States { get; }

    /// <summary>What this instance runs on, for start-up tables: ONNX Runtime's version, the device asked for ("" = auto) and used, threads.</summary>
    public EngineDescription Description => EngineDescription.Of(this) with
    {
        Runtime = "ONNX Runtime",
        RuntimeVersion = _runtimeVersion,
        DeviceRequested = Placement.Requested == "auto" ? "" : Placement.Requested,
        DeviceUsed = Placement.Used,
        DeviceNote = Placement.FellBack ? Placement.Reason : null,
        IntraOpThreads = _settings.IntraOpThreads,
        InterOpThreads = _settings.InterOpThreads,
    };

    /// <summary>Bindings made so far whose states are read in place from the arena.</summary>
    internal int InPlaceBindingCount => _buffers.InPlaceBindingCount;

    /// <summary>Bytes the state arena holds now.</summary>
    public long StateBytesReserved => _states.ReservedBytes;

    /// <summary>Padding entries (READY clear) are fed as Triton feeds its direct strategy's null requests: see <see cref="IStatefulEngine.FeedsPaddingRows"/>.</summary>
    public bool FeedsPaddingRows => true;

    public void Execute(StepBatch batch)
    {
        var rows = SelectRows(batch);
        if (rows == 0) return;
        var batchSize = _behaviour.PadToMaxBatch ? MaxBatchSize : rows;
        var slots = _slots.AsSpan(0, rows);
        var fromInitial = _fromInitial.AsSpan(0, rows);
        var first = _states.InPlaceFirstSlot(slots, fromInitial, batchSize);
        if (first < 0 || !_buffers.TryInPlaceBinding(batchSize, first, out var binding))
        {
            first = -1;
            binding = _buffers.BindingFor(batchSize);
        }
        FillInputs(batch, rows, batchSize);
        FillControls(batch, rows, batchSize);
        _states.Gather(slots, fromInitial, batchSize, inPlace: first >= 0);
        try
        {
            _session.RunWithBinding(_runOptions, binding);
            // On CUDA/TensorRT the run is asynchronous to us: wait for the outputs before reading or committing them.
            if (_behaviour.SynchronizeOutputs) binding.SynchronizeBoundOutputs();
        }
        catch (OnnxRuntimeException e)
        {
            // Nothing was committed: every slot keeps the state it had before this batch.
            throw new EngineException($"model \"{ModelName}\": the run of a batch of {rows} failed: {e.Message}", e);
        }
        _states.Commit(slots, batchSize);
        for (var r = 0; r < rows; r++)
        {
            if (_entries[r] < 0) continue; // padding: no outputs
            for (var o = 0; o < _plan.Outputs.Count; o++)
            {
                var output = _plan.Outputs[o];
                int length;
                if (output.DataType == DataType.String)
                {
                    length = OrtStringTensors.GetRow(_buffers.StringOutput(batchSize, o), output.Layout, r, batchSize, ref _outputRows[r][o]);
                }
                else
                {
                    length = output.Layout.RowBytes;
                    output.Layout.CopyRowOut(_buffers.Outputs[o], r, batchSize, _outputRows[r][o]);
                }
                batch.SetOutput(_entries[r], o, _outputRows[r][o].AsMemory(0, length));
            }
        }
    }

    // Picks the entries that run; END-only steps are answered empty when infer_end_requests = 0.
    // A padding entry (READY clear) is a row of slot -1: initial state in, nothing committed, no outputs.
    private int SelectRows(StepBatch batch)
    {
        var rows = 0;
        for (var e = 0; e < batch.Count; e++)
        {
            var flags = batch.Flags(e);
            if ((flags & StepFlags.Ready) == 0)
            {
                _slots[rows] = -1;
                _fromInitial[rows] = true;
                _entries[rows] = -1;
                rows++;
                continue;
            }
            if (!_behaviour.InferEndRequests && (flags & StepFlags.End) != 0 && (flags & StepFlags.Start) == 0)
            {
                for (var o = 0; o < _plan.Outputs.Count; o++) batch.SetOutput(e, o, ReadOnlyMemory<byte>.Empty);
                continue;
            }
            var slot = batch.Slot(e);
            if ((uint)slot >= (uint)SlotCount) throw new EngineException($"model \"{ModelName}\": slot {slot} is outside 0..{SlotCount - 1}");
            for (var k = 0; k < _plan.Inputs.Count; k++)
            {
                // RequestValidator checked every input's byte count (BYTES: element count) before the step was queued.
                Debug.Assert(_plan.Inputs[k].DataType == DataType.String || batch.Input(e, k).Length == _plan.Inputs[k].Layout.RowBytes, $"input {_plan.Inputs[k].Name}: {batch.Input(e, k).Length} bytes, {_plan.Inputs[k].Layout.RowBytes} expected");
            }
            _slots[rows] = slot;
            _fromInitial[rows] = (flags & StepFlags.Start) != 0;
            _entries[rows] = e;
            rows++;
        }
        return rows;
    }

    // Rows past the batch's entries (always_pad_to_max_batch) and padding entries get zeros (BYTES: empty strings), as Triton's null requests do.
    private void FillInputs(StepBatch batch, int rows, int batchSize)
    {
        for (var k = 0; k < _plan.Inputs.Count; k++)
        {
            var input = _plan.Inputs[k];
            if (input.DataType == DataType.String)
            {
                var value = _buffers.StringInput(batchSize, k);
                for (var r = 0; r < batchSize; r++)
                {
                    var row = r < rows && _entries[r] >= 0 ? batch.Input(_entries[r], k).Span : default;
                    OrtStringTensors.SetRow(value, input.Layout, row, r, batchSize);
                }
                continue;
            }
            var buffer = _buffers.Inputs[k];
            for (var r = 0; r < batchSize; r++)
            {
                var row = r < rows && _entries[r] >= 0 ? batch.Input(_entries[r], k).Span : _zeroInputRows[k];
                input.Layout.CopyRowIn(row, buffer, r, batchSize);
            }
        }
    }

    private void FillControls(StepBatch batch, int rows, int batchSize)
    {
        for (var c = 0; c < _plan.Controls.Count; c++)
        {
            var control = _plan.Controls[c];
            var row = _controlRows[c];
            for (var r = 0; r < batchSize; r++)
            {
                var live = r < rows && _entries[r] >= 0;
                var flags = live ? batch.Flags(_entries[r]) : StepFlags.None;
                switch (control.Kind)
                {
                    case ControlKind.SequenceCorrid when control.DataType == DataType.String:
                        // Triton feeds a TYPE_STRING CORRID as the string id; not-ready rows get "" (Triton's null requests carry no id).
                        OrtStringTensors.SetRowText(_buffers.StringControl(batchSize, c), control.Layout, live ? batch.SequenceId(_entries[r]).Text ?? "" : "", r, batchSize);
                        continue;
                    case ControlKind.SequenceCorrid:
                        ElementWriter.FillInteger(row, control.DataType, live ? batch.SequenceId(_entries[r]).Number : 0);
                        break;
                    default:
                        var on = control.Kind switch
                        {
                            ControlKind.SequenceStart => (flags & StepFlags.Start) != 0,
                            ControlKind.SequenceEnd => (flags & StepFlags.End) != 0,
                            _ => live, // READY: real rows yes, padding no
                        };
                        ElementWriter.Fill(row, control.DataType, on ? control.TrueValue : control.FalseValue);
                        break;
                }
                control.Layout.CopyRowIn(row, _buffers.Controls[c], r, batchSize);
            }
        }
    }

    public void ResetSlot(int slot) => _states.Reset(slot);

    public SlotSnapshot ExportSlot(int slot) => _states.Export(slot);

    public void ImportSlot(int slot, SlotSnapshot snapshot)
    {
        try
        {
            _states.Import(slot, snapshot);
        }
        catch (ArgumentException e)
        {
            throw new EngineException($"model \"{ModelName}\": cannot import into slot {slot}: {e.Message}", e);
        }
    }

    public void Dispose()
    {
        _buffers.Dispose();
        _states.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }
}

/// <summary>The stateful backend's per-model switches that change what Execute does.</summary>
/// <param name="InferEndRequests">false = END-only steps are not run and get empty outputs (infer_end_requests = 0).</param>
/// <param name="PadToMaxBatch">Every run has max_batch_size rows, padding with initial-state rows (always_pad_to_max_batch).</param>
/// <param name="SynchronizeOutputs">The session runs on a GPU provider (outputs must be synchronized after a run).</param>
internal sealed record EngineBehaviour(bool InferEndRequests = true, bool PadToMaxBatch = false, bool SynchronizeOutputs = false);
