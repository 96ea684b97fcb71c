using OvStateful.Core.Tensors;
using OvStateful.OpenVino.Interop;

namespace OvStateful.Bench;

/// <summary>
/// Silero VAD v6 straight through the shim at one batch size, as OpenVINO's own Python API is used
/// by a Python server: MakeStateful, dynamic batch (static for B = 1, like the engine's batch-1
/// copy), f32, latency hint; <see cref="Step"/> sets the batch's state, infers and reads the new
/// state back; <see cref="InferOnly"/> leaves the state in the request. No arena, no batcher.
/// </summary>
internal sealed unsafe class RawOpenVinoSilero : IDisposable
{
    private readonly OvCore _core;
    private readonly OvCompiledModel _compiled;
    private readonly OvInferRequest _request;
    private readonly byte[] _audio, _state, _sr;
    private readonly long[] _stateShape, _shape = new long[OvInferRequest.MaxRank];
    // The one variable (statestateN) is state 0 of the request.
    private const int Variable = 0;

    public RawOpenVinoSilero(int batch, int threads)
    {
        _core = OvCore.Create();
        using (var model = _core.ReadModel(Path.Combine(RepoPaths.Root, "models", "silero_vad_v6", "1", "model.onnx")))
        {
            var b = batch == 1 ? 1 : -1;
            model.Reshape([("input", [b, 576]), ("state", [2, b, 128])]);
            model.MakeStateful([("state", "stateN")]);
            _compiled = _core.Compile(model, "CPU", new CompileOptions(PerformanceHint.Latency, 0, DataType.Fp32, threads));
        }
        _request = _compiled.CreateInferRequest();
        var r = new Random(1);
        _audio = GC.AllocateArray<byte>(batch * 576 * 4, pinned: true);
        var samples = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(_audio.AsSpan());
        for (var i = 0; i < samples.Length; i++) samples[i] = (float)(r.NextDouble() - 0.5);
        _sr = GC.AllocateArray<byte>(8, pinned: true);
        BitConverter.TryWriteBytes(_sr, 16000L);
        _state = new byte[2 * batch * 128 * 4];
        _stateShape = [2, batch, 128];
        fixed (byte* a = _audio) _request.SetInput(_compiled.Find("input", false), DataType.Fp32, [batch, 576], a);
        fixed (byte* s = _sr) _request.SetInput(_compiled.Find("sr", false), DataType.Int64, [], s);
        for (var i = 0; i < 4; i++) Step();
    }

    public void InferOnly() => _request.Infer();

    public void Step()
    {
        _request.SetState(Variable, DataType.Fp32, _stateShape, _state);
        _request.Infer();
        _request.GetState(Variable, DataType.Fp32, _state, _shape);
    }

    public void Dispose()
    {
        _request.Dispose();
        _compiled.Dispose();
        _core.Dispose();
    }
}
