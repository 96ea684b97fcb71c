using Microsoft.ML.OnnxRuntime;
using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;

namespace OvStateful.OnnxRuntime;

/// <summary>
/// The pinned host tensors one run reads and writes, sized for the largest batch, and the
/// IoBindings over them: one per batch size, plus one per (batch size, first slot) for batches
/// whose states are read in place. Each is made on first use and then reused, so a steady
/// stream of batches binds nothing and allocates nothing. Batch size b uses the first b rows'
/// bytes of each buffer. String (BYTES) tensors have no buffer here: each batch size gets a
/// string OrtValue instead (<see cref="OrtStringTensors"/>), bound the same way.
/// </summary>
internal sealed class OrtBatchBuffers : IDisposable
{
    // In-place bindings kept at most: slot ranges repeat (free slots are handed out lowest
    // first), so a few exist in practice; past the limit, batches gather instead (bounded native memory).
    private const int InPlaceBindingLimit = 1024;

    private readonly InferenceSession _session;
    private readonly ModelPlan _plan;
    private readonly IOrtStateStore _states;
    // Index b (1..MaxBatchSize): the binding for batch size b whose states are gathered; null until first used.
    private readonly OrtIoBinding?[] _bindings;
    // (batch size, first slot) -> the binding whose in-place states read those slots' rows.
    private readonly Dictionary<(int BatchSize, int FirstSlot), OrtIoBinding> _inPlaceBindings = [];
    // Index b: the values over this class's buffers for batch size b (inputs, controls, constants, outputs, in that order); null until first bound.
    private readonly OrtValue[]?[] _values;

    public OrtBatchBuffers(InferenceSession session, ModelPlan plan, IOrtStateStore states)
    {
        _session = session;
        _plan = plan;
        _states = states;
        var max = plan.MaxBatchSize;
        Inputs = plan.Inputs.Select(t => Pinned(t.DataType == DataType.String ? 0 : t.Layout.BatchBytes(max))).ToArray();
        Controls = plan.Controls.Select(c => Pinned(c.DataType == DataType.String ? 0 : c.Layout.BatchBytes(max))).ToArray();
        Constants = plan.Constants.Select(c => { var b = Pinned(c.Data.Length); c.Data.CopyTo(b, 0); return b; }).ToArray();
        Outputs = plan.Outputs.Select(t => Pinned(t.DataType == DataType.String ? 0 : t.Layout.BatchBytes(max))).ToArray();
        _bindings = new OrtIoBinding?[max + 1];
        _values = new OrtValue[]?[max + 1];
    }

    public byte[][] Inputs { get; }
    public byte[][] Controls { get; }
    public byte[][] Constants { get; }
    public byte[][] Outputs { get; }

    /// <summary>The string OrtValue of input <paramref name="k"/> for batch size <paramref name="batchSize"/> (a binding of that size exists).</summary>
    public OrtValue StringInput(int batchSize, int k) => _values[batchSize]![k];

    /// <summary>The string OrtValue of control <paramref name="c"/> (a TYPE_STRING CORRID) for batch size <paramref name="batchSize"/>.</summary>
    public OrtValue StringControl(int batchSize, int c) => _values[batchSize]![_plan.Inputs.Count + c];

    /// <summary>The string OrtValue of output <paramref name="o"/> for batch size <paramref name="batchSize"/>.</summary>
    public OrtValue StringOutput(int batchSize, int o) => _values[batchSize]![_plan.Inputs.Count + _plan.Controls.Count + _plan.Constants.Count + o];

    /// <summary>How many bindings read states in place (for tests: the path was taken).</summary>
    public int InPlaceBindingCount => _inPlaceBindings.Count;

    /// <summary>The binding for a batch of <paramref name="batchSize"/> rows whose states the store gathers.</summary>
    public OrtIoBinding BindingFor(int batchSize) => _bindings[batchSize] ??= CreateBinding(batchSize, -1);

    /// <summary>The binding whose in-place states read slots <paramref name="firstSlot"/>..; false when too many exist already.</summary>
    public bool TryInPlaceBinding(int batchSize, int firstSlot, out OrtIoBinding binding)
    {
        if (_inPlaceBindings.TryGetValue((batchSize, firstSlot), out binding!)) return true;
        if (_inPlaceBindings.Count >= InPlaceBindingLimit) return false;
        binding = CreateBinding(batchSize, firstSlot);
        _inPlaceBindings.Add((batchSize, firstSlot), binding);
        return true;
    }

    private OrtIoBinding CreateBinding(int b, int inPlaceFirstSlot)
    {
        var values = _values[b] ??= CreateValues(b);
        var binding = _session.CreateIoBinding();
        try
        {
            var v = 0;
            foreach (var t in _plan.Inputs) binding.BindInput(t.Name, values[v++]);
            foreach (var c in _plan.Controls) binding.BindInput(c.Name, values[v++]);
            foreach (var c in _plan.Constants) binding.BindInput(c.Name, values[v++]);
            foreach (var t in _plan.Outputs) binding.BindOutput(t.Name, values[v++]);
            _states.Bind(binding, b, inPlaceFirstSlot);
            return binding;
        }
        catch
        {
            binding.Dispose();
            throw;
        }
    }

    // The arrays are pinned (POH) for their lifetime, so the addresses ORT keeps stay valid.
    private OrtValue[] CreateValues(int b)
    {
        var values = new List<OrtValue>();
        try
        {
            for (var i = 0; i < _plan.Inputs.Count; i++) values.Add(Value(Inputs[i], _plan.Inputs[i].Layout.BatchBytes(b), _plan.Inputs[i].BatchShape(b), _plan.Inputs[i].DataType));
            for (var i = 0; i < _plan.Controls.Count; i++) values.Add(Value(Controls[i], _plan.Controls[i].Layout.BatchBytes(b), _plan.Controls[i].BatchShape(b), _plan.Controls[i].DataType));
            for (var i = 0; i < _plan.Constants.Count; i++) values.Add(OrtTensors.OverPinned(Constants[i], _plan.Constants[i].Data.Length, _plan.Constants[i].Shape, _plan.Constants[i].DataType));
            for (var i = 0; i < _plan.Outputs.Count; i++) values.Add(Value(Outputs[i], _plan.Outputs[i].Layout.BatchBytes(b), _plan.Outputs[i].BatchShape(b), _plan.Outputs[i].DataType));
            return [.. values];
        }
        catch
        {
            foreach (var v in values) v.Dispose();
            throw;
        }
    }

    private static OrtValue Value(byte[] pinned, int bytes, long[] shape, DataType type) =>
        type == DataType.String ? OrtStringTensors.Create(shape) : OrtTensors.OverPinned(pinned, bytes, shape, type);

    private static byte[] Pinned(int bytes) => GC.AllocateArray<byte>(Math.Max(bytes, 1), pinned: true);

    public void Dispose()
    {
        foreach (var b in _bindings) b?.Dispose();
        foreach (var b in _inPlaceBindings.Values) b.Dispose();
        foreach (var values in _values)
            foreach (var v in values ?? []) v.Dispose();
    }
}
