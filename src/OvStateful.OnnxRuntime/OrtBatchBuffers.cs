using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;
using OvStateful.OnnxRuntime.Interop;

namespace OvStateful.OnnxRuntime;

/// <summary>
/// The pinned host tensors one run reads and writes, sized for the largest batch, and one
/// IoBinding per batch size over them (made on first use, then reused), so a steady stream
/// of batches allocates nothing. Batch size b uses the first b rows' bytes of each buffer.
/// </summary>
internal sealed class OrtBatchBuffers : IDisposable
{
    private readonly OrtSession _session;
    private readonly ModelPlan _plan;
    // Index b (1..MaxBatchSize): binding for batch size b; null until first used.
    private readonly OrtIoBinding?[] _bindings;
    private readonly List<OrtValueHandle> _values = [];

    private readonly IOrtStateStore _states;

    public OrtBatchBuffers(OrtSession session, ModelPlan plan, IOrtStateStore states)
    {
        _session = session;
        _plan = plan;
        _states = states;
        var max = plan.MaxBatchSize;
        Inputs = plan.Inputs.Select(t => Pinned(t.Layout.BatchBytes(max))).ToArray();
        Controls = plan.Controls.Select(c => Pinned(c.Layout.BatchBytes(max))).ToArray();
        Constants = plan.Constants.Select(c => { var b = Pinned(c.Data.Length); c.Data.CopyTo(b, 0); return b; }).ToArray();
        Outputs = plan.Outputs.Select(t => Pinned(t.Layout.BatchBytes(max))).ToArray();
        _bindings = new OrtIoBinding?[max + 1];
    }

    public byte[][] Inputs { get; }
    public byte[][] Controls { get; }
    public byte[][] Constants { get; }
    public byte[][] Outputs { get; }

    public OrtIoBinding BindingFor(int batchSize) => _bindings[batchSize] ??= CreateBinding(batchSize);

    private OrtIoBinding CreateBinding(int b)
    {
        var binding = _session.CreateBinding();
        try
        {
            for (var i = 0; i < _plan.Inputs.Count; i++)
            {
                var t = _plan.Inputs[i];
                binding.BindInput(t.Name, Value(Inputs[i], t.Layout.BatchBytes(b), t.BatchShape(b), t.DataType));
            }
            for (var i = 0; i < _plan.Controls.Count; i++)
            {
                var c = _plan.Controls[i];
                binding.BindInput(c.Name, Value(Controls[i], c.Layout.BatchBytes(b), c.BatchShape(b), c.DataType));
            }
            for (var i = 0; i < _plan.Constants.Count; i++)
            {
                var c = _plan.Constants[i];
                binding.BindInput(c.Name, Value(Constants[i], c.Data.Length, c.Shape, c.DataType));
            }
            _states.Bind(binding, b);
            for (var i = 0; i < _plan.Outputs.Count; i++)
            {
                var t = _plan.Outputs[i];
                binding.BindOutput(t.Name, Value(Outputs[i], t.Layout.BatchBytes(b), t.BatchShape(b), t.DataType));
            }
            return binding;
        }
        catch
        {
            binding.Dispose();
            throw;
        }
    }

    private OrtValueHandle Value(byte[] pinned, int bytes, long[] shape, DataType type)
    {
        // The arrays are pinned (POH) for their lifetime, so the address ORT keeps stays valid.
        var v = OrtTensor.OverPinned(pinned, bytes, shape, type);
        _values.Add(v);
        return v;
    }

    private static byte[] Pinned(int bytes) => GC.AllocateArray<byte>(Math.Max(bytes, 1), pinned: true);

    public void Dispose()
    {
        foreach (var b in _bindings) b?.Dispose();
        foreach (var v in _values) v.Dispose();
    }
}
