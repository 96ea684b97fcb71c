using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;
using OvStateful.OnnxRuntime.Interop;

namespace OvStateful.OnnxRuntime.Tests;

/// <summary>
/// The reference for "a sequence run alone": one sequence through a plain ORT session at
/// batch size 1, its state fed explicitly from the previous step's output (no arena, no
/// batching, no engine). Used to check that batched engine runs change nothing.
/// </summary>
internal sealed unsafe class PlainOrtSequence : IDisposable
{
    private readonly OrtSession _session;
    private readonly ModelPlan _plan;
    private readonly byte[][] _state;

    public PlainOrtSequence(ModelConfig config, string modelFile)
    {
        _session = OrtSession.Create(modelFile, new OrtSessionSettings { IntraOpThreads = 1 });
        var sig = new ModelFileSignature(
            _session.Inputs.Select(i => new ModelFileTensor(i.Name, i.ElementType.ToDataType(), i.Shape)).ToArray(),
            _session.Outputs.Select(o => new ModelFileTensor(o.Name, o.ElementType.ToDataType(), o.Shape)).ToArray());
        _plan = ModelPlan.Build(config, sig, Path.GetDirectoryName(modelFile)!);
        _state = _plan.States.Select(s => s.InitialRow is null ? new byte[s.Spec.SlotBytes] : (byte[])s.InitialRow.Clone()).ToArray();
    }

    public byte[][] State => _state;

    /// <summary>Runs one step; returns each output's bytes.</summary>
    public byte[][] Step(byte[][] inputs, bool start, ulong corrid = 1, bool end = false)
    {
        if (start)
        {
            for (var s = 0; s < _state.Length; s++)
            {
                var init = _plan.States[s].InitialRow;
                if (init is null) Array.Clear(_state[s]); else init.CopyTo(_state[s], 0);
            }
        }
        using var binding = _session.CreateBinding();
        var keep = new List<(OrtValueHandle, System.Runtime.InteropServices.GCHandle)>();
        try
        {
            OrtValueHandle Bind(byte[] data, long[] shape, DataType type)
            {
                var pin = System.Runtime.InteropServices.GCHandle.Alloc(data, System.Runtime.InteropServices.GCHandleType.Pinned);
                var v = OrtTensor.OverMemory(OrtMemory.Cpu, (void*)pin.AddrOfPinnedObject(), data.Length, shape, type.ToOnnx());
                keep.Add((v, pin));
                return v;
            }
            for (var k = 0; k < _plan.Inputs.Count; k++)
                binding.BindInput(_plan.Inputs[k].Name, Bind(inputs[k], _plan.Inputs[k].BatchShape(1), _plan.Inputs[k].DataType));
            foreach (var c in _plan.Controls)
            {
                var row = new byte[c.Layout.RowBytes];
                if (c.Kind == ControlKind.SequenceCorrid) ElementWriter.FillInteger(row, c.DataType, corrid);
                else ElementWriter.Fill(row, c.DataType, (c.Kind == ControlKind.SequenceStart && start) || (c.Kind == ControlKind.SequenceEnd && end) || c.Kind == ControlKind.SequenceReady ? c.TrueValue : c.FalseValue);
                binding.BindInput(c.Name, Bind(row, c.BatchShape(1), c.DataType));
            }
            foreach (var c in _plan.Constants) binding.BindInput(c.Name, Bind((byte[])c.Data.Clone(), c.Shape, c.DataType));
            var newState = new byte[_state.Length][];
            for (var s = 0; s < _state.Length; s++)
            {
                var spec = _plan.States[s].Spec;
                binding.BindInput(spec.InputName, Bind(_state[s], spec.SlotShape, spec.DataType));
                newState[s] = new byte[spec.SlotBytes];
                binding.BindOutput(spec.OutputName, Bind(newState[s], spec.SlotShape, spec.DataType));
            }
            var outputs = new byte[_plan.Outputs.Count][];
            for (var o = 0; o < outputs.Length; o++)
            {
                outputs[o] = new byte[_plan.Outputs[o].Layout.RowBytes];
                binding.BindOutput(_plan.Outputs[o].Name, Bind(outputs[o], _plan.Outputs[o].BatchShape(1), _plan.Outputs[o].DataType));
            }
            _session.Run(binding);
            for (var s = 0; s < _state.Length; s++) newState[s].CopyTo(_state[s], 0);
            return outputs;
        }
        finally
        {
            foreach (var (v, pin) in keep) { v.Dispose(); pin.Free(); }
        }
    }

    public void Dispose() => _session.Dispose();
}
