using BenchmarkDotNet.Attributes;
using OvStateful.Core.Tensors;
using OvStateful.OpenVino.Interop;

namespace OvStateful.Bench;

/// <summary>
/// Where a batched-mode OpenVINO step's time goes, Silero VAD v6 at batch B (input [B, 576],
/// state [2, B, 128], dynamic batch as the engine compiles it, f32): the infer alone with the
/// state left in the request, against set_state + infer + get_state as batched mode calls them
/// through the shim. The engine's own Execute (plus the host arena's gather/scatter) is in
/// OpenVinoVsOrtBenchmarks; ArenaBenchmarks measures the gather/scatter alone.
/// </summary>
public unsafe class OpenVinoStepSplitBenchmarks
{
    private OvCore _core = null!;
    private OvCompiledModel _compiled = null!;
    private OvInferRequest _request = null!;
    private byte[] _audio = null!, _state = null!, _sr = null!;
    private readonly long[] _shape = new long[OvInferRequest.MaxRank];
    private int _stateIndex;

    [Params(1, 16, 64, 256)]
    public int Batch { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _core = OvCore.Create();
        using (var model = _core.ReadModel(Path.Combine(RepoPaths.Root, "models", "silero_vad_v6", "1", "model.onnx")))
        {
            model.Reshape([("input", [-1, 576]), ("state", [2, -1, 128])]);
            model.MakeStateful([("state", "stateN")]);
            _compiled = _core.Compile(model, "CPU", new CompileOptions(PerformanceHint.Latency, 0, DataType.Fp32, Threads));
        }
        _request = _compiled.CreateInferRequest();
        _stateIndex = 0;
        var r = new Random(1);
        _audio = GC.AllocateArray<byte>(Batch * 576 * 4, pinned: true);
        var samples = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(_audio.AsSpan());
        for (var i = 0; i < samples.Length; i++) samples[i] = (float)(r.NextDouble() - 0.5);
        _sr = GC.AllocateArray<byte>(8, pinned: true);
        BitConverter.TryWriteBytes(_sr, 16000L);
        _state = new byte[2 * Batch * 128 * 4];
        fixed (byte* a = _audio) _request.SetInput(_compiled.Find("input", false), DataType.Fp32, [Batch, 576], a);
        fixed (byte* s = _sr) _request.SetInput(_compiled.Find("sr", false), DataType.Int64, [], s);
        for (var i = 0; i < 4; i++) SetInferGet();
    }

    [Benchmark(Baseline = true, Description = "infer only (state stays in the request)")]
    public void InferOnly() => _request.Infer();

    [Benchmark(Description = "set_state + infer + get_state")]
    public void SetInferGet()
    {
        _request.SetState(_stateIndex, DataType.Fp32, [2, Batch, 128], _state);
        _request.Infer();
        _request.GetState(_stateIndex, DataType.Fp32, _state, _shape);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _request.Dispose();
        _compiled.Dispose();
        _core.Dispose();
    }
}
