using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Tensors;
using OvStateful.OnnxRuntime;

namespace OvStateful.Bench;

/// <summary>
/// The cost of crossing into ONNX Runtime for a tiny model (accumulate, batch 1, 20 floats in):
/// the official C# API's RunWithBinding over an IoBinding with everything pre-bound (the floor:
/// one native call), against our engine's Execute of one step (state gather/scatter, binding,
/// output views) on the same native library.
/// </summary>
public class InteropBenchmarks
{
    private IStatefulEngine _engine = null!;
    private StepBatch _batch = null!;
    private InferenceSession _session = null!;
    private OrtIoBinding _binding = null!;
    private RunOptions _runOptions = null!;
    private readonly List<OrtValue> _values = [];
    // Referenced here so the GC never frees memory ORT reads or writes.
    private readonly List<byte[]> _memory = [];

    [GlobalSetup]
    public void Setup()
    {
        var config = AccumulateModel.Config();
        _engine = new OnnxRuntimeEngineProvider(new OnnxRuntimeOptions { IntraOpThreads = 1 })
            .Load(new EngineLoadContext(config, AccumulateModel.VersionDirectory, AccumulateModel.File, 1));
        var input = new byte[20 * 4];
        _batch = new StepBatch(1, _engine.Inputs.Count, _engine.Outputs.Count);
        var e = _batch.Add(0, StepFlags.None, new SequenceId(1));
        _batch.SetInput(e, 0, input);

        _session = OrtSessions.Open(AccumulateModel.File, new OrtSessionSettings { IntraOpThreads = 1 });
        _runOptions = new RunOptions();
        _binding = _session.CreateIoBinding();
        OrtValue Bind(long[] shape, DataType type, int bytes)
        {
            var mem = GC.AllocateArray<byte>(bytes, pinned: true);
            _memory.Add(mem);
            var v = OrtTensors.OverPinned(mem, bytes, shape, type);
            _values.Add(v);
            return v;
        }
        _binding.BindInput("Input", Bind([4, 1, 5], DataType.Fp32, 80));
        _binding.BindInput("ResetSequence", Bind([1, 1], DataType.Bool, 1));
        _binding.BindInput("Accumulate_In", Bind([1, 5], DataType.Fp32, 20));
        _binding.BindOutput("Output", Bind([4, 1, 5], DataType.Fp32, 80));
        _binding.BindOutput("Accumulate_Out", Bind([1, 5], DataType.Fp32, 20));
    }

    [Benchmark(Baseline = true, Description = "RunWithBinding (bound, batch 1)")]
    public void RawRun() => _session.RunWithBinding(_runOptions, _binding);

    [Benchmark(Description = "engine Execute (batch 1)")]
    public void Engine() => _engine.Execute(_batch);

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.Dispose();
        _binding.Dispose();
        foreach (var v in _values) v.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }
}
