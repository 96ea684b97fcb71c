using Microsoft.ML.OnnxRuntime;
using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;

namespace OvStateful.OnnxRuntime.Tests;

/// <summary>
/// The reference for "a sequence run alone": one sequence through a plain ORT session at
/// batch size 1, its state fed explicitly from the previous step's output (no arena, no
/// batching, no engine, no IoBinding: ORT's ordinary Run with values it allocates). Used to
/// check that batched engine runs change nothing.
/// </summary>
internal sealed class PlainOrtSequence : IDisposable
{
    private readonly InferenceSession _session;
    private readonly ModelPlan _plan;
    private readonly byte[][] _state;

    public PlainOrtSequence(ModelConfig config, string modelFile)
    {
        OrtNativeLibrary.Get();
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        _session = new InferenceSession(modelFile, options);
        _plan = ModelPlan.Build(config, OrtSessions.Signature(_session), Path.GetDirectoryName(modelFile)!);
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
        var names = new List<string>();
        var values = new List<OrtValue>();
        try
        {
            void Add(string name, byte[] data, long[] shape, DataType type)
            {
                var v = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, type.ToOrt(), shape);
                values.Add(v);
                names.Add(name);
                data.CopyTo(v.GetTensorMutableRawData());
            }
            for (var k = 0; k < _plan.Inputs.Count; k++) Add(_plan.Inputs[k].Name, inputs[k], _plan.Inputs[k].BatchShape(1), _plan.Inputs[k].DataType);
            foreach (var c in _plan.Controls)
            {
                var row = new byte[c.Layout.RowBytes];
                if (c.Kind == ControlKind.SequenceCorrid) ElementWriter.FillInteger(row, c.DataType, corrid);
                else ElementWriter.Fill(row, c.DataType, (c.Kind == ControlKind.SequenceStart && start) || (c.Kind == ControlKind.SequenceEnd && end) || c.Kind == ControlKind.SequenceReady ? c.TrueValue : c.FalseValue);
                Add(c.Name, row, c.BatchShape(1), c.DataType);
            }
            foreach (var c in _plan.Constants) Add(c.Name, c.Data, c.Shape, c.DataType);
            foreach (var (s, k) in _plan.States.Select((s, k) => (s, k))) Add(s.Spec.InputName, _state[k], s.Spec.SlotShape, s.Spec.DataType);

            var outputNames = _plan.Outputs.Select(o => o.Name).Concat(_plan.States.Select(s => s.Spec.OutputName)).ToArray();
            using var runOptions = new RunOptions();
            using var results = _session.Run(runOptions, names, values, outputNames);
            var outputs = new byte[_plan.Outputs.Count][];
            for (var o = 0; o < outputs.Length; o++) outputs[o] = results[o].GetTensorMutableRawData().ToArray();
            for (var s = 0; s < _state.Length; s++) results[outputs.Length + s].GetTensorMutableRawData().CopyTo(_state[s]);
            return outputs;
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    public void Dispose() => _session.Dispose();
}
