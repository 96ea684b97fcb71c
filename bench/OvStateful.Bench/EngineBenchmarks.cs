using BenchmarkDotNet.Attributes;
using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Tensors;
using OvStateful.OnnxRuntime;
using OvStateful.OnnxRuntime.Interop;

namespace OvStateful.Bench;

/// <summary>
/// One Silero VAD v5 step for B sequences: our engine's Execute (gather states, run through
/// the cached IoBinding, scatter states, split outputs per sequence) against a raw ORT run of
/// the same batch with everything already bound (no state movement at all).
/// </summary>
public class EngineBenchmarks
{
    private IStatefulEngine _engine = null!;
    private StepBatch _stepBatch = null!;
    private OrtSession _rawSession = null!;
    private OrtIoBinding _rawBinding = null!;
    private readonly List<IDisposable> _keep = [];
    // The raw run's tensors: referenced here so the GC never frees memory ORT writes into.
    private readonly List<byte[]> _rawMemory = [];

    [Params(1, 16, 64, 256)]
    public int Batch { get; set; }

    [GlobalSetup]
    public unsafe void Setup()
    {
        var model = Path.Combine(RepoPaths.Root, "models", "silero_vad", "1", "model.onnx");
        var config = new ModelConfig
        {
            Name = "silero_vad",
            MaxBatchSize = 256,
            Input = [new ModelInput { Name = "input", DataType = DataType.Fp32, Dims = [512] }],
            Output = [new ModelOutput { Name = "output", DataType = DataType.Fp32, Dims = [1] }],
            SequenceBatching = new SequenceBatching(),
            InstanceGroup = [new InstanceGroup { Kind = InstanceKind.Cpu }],
            Parameters = new() { ["state_pairs"] = "<<<state, stateN>>>", ["constant_inputs"] = "sr=16000" },
        };
        var options = new OnnxRuntimeOptions { IntraOpThreads = 1 };
        _engine = new OnnxRuntimeEngineProvider(options).Load(new EngineLoadContext(config, Path.GetDirectoryName(model)!, model, 1024));
        var r = new Random(1);
        var audio = new byte[512 * 4];
        r.NextBytes(audio);
        var samples = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(audio.AsSpan());
        for (var i = 0; i < samples.Length; i++) samples[i] = (float)(r.NextDouble() - 0.5);
        _stepBatch = new StepBatch(Batch, 1, 1);
        for (var b = 0; b < Batch; b++)
        {
            var e = _stepBatch.Add(b * 3 % 1024, b == 0 ? StepFlags.None : StepFlags.None, new SequenceId((ulong)b + 1));
            _stepBatch.SetInput(e, 0, audio);
        }

        _rawSession = OrtSession.Create(model, new OrtSessionSettings { IntraOpThreads = 1 });
        _rawBinding = _rawSession.CreateBinding();
        // The raw run gets the same audio and a real (non-zero) state, so both sides compute on the same kind of numbers.
        for (var i = 0; i < 4; i++) _engine.Execute(_stepBatch);
        var state = _engine.ExportSlot(0).States[0].Data.ToArray(); // [2, 1, 128]
        OrtValueHandle Bind(long[] shape, DataType type, int bytes, long fill = 0, byte[]? rows = null, int rowBlocks = 1)
        {
            var mem = GC.AllocateArray<byte>(bytes, pinned: true);
            _rawMemory.Add(mem);
            if (fill != 0) BitConverter.TryWriteBytes(mem, fill);
            if (rows is not null)
            {
                // Tile one row (rowBlocks blocks) over every batch position, along the batch axis.
                var block = rows.Length / rowBlocks;
                var perBlock = bytes / rowBlocks;
                for (var o = 0; o < rowBlocks; o++)
                    for (var at = 0; at < perBlock; at += block) rows.AsSpan(o * block, block).CopyTo(mem.AsSpan(o * perBlock + at, block));
            }
            fixed (byte* p = mem)
            {
                var v = OrtTensor.OverMemory(OrtMemory.Cpu, p, bytes, shape, type.ToOnnx());
                _keep.Add(v);
                return v;
            }
        }
        _rawBinding.BindInput("input", Bind([Batch, 512], DataType.Fp32, Batch * 512 * 4, rows: audio));
        _rawBinding.BindInput("state", Bind([2, Batch, 128], DataType.Fp32, Batch * 256 * 4, rows: state, rowBlocks: 2));
        _rawBinding.BindInput("sr", Bind([], DataType.Int64, 8, fill: 16000));
        _rawBinding.BindOutput("output", Bind([Batch, 1], DataType.Fp32, Batch * 4));
        _rawBinding.BindOutput("stateN", Bind([2, Batch, 128], DataType.Fp32, Batch * 256 * 4));
    }

    [Benchmark(Baseline = true, Description = "raw ORT Run (bound)")]
    public void RawOrt() => _rawSession.Run(_rawBinding);

    [Benchmark(Description = "engine Execute")]
    public void Engine() => _engine.Execute(_stepBatch);

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.Dispose();
        _rawBinding.Dispose();
        foreach (var k in _keep) k.Dispose();
        _rawSession.Dispose();
    }
}
