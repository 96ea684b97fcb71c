using Microsoft.ML.OnnxRuntime;
using OvStateful.Core.Tensors;
using OvStateful.OnnxRuntime;

namespace OvStateful.Bench;

/// <summary>
/// Silero VAD v5 run raw through the official ONNX Runtime C# API at one batch size, over the
/// same native library as the engine: a session and an IoBinding with every tensor bound once
/// (audio and state tiled from one row), so <see cref="Run"/> is nothing but RunWithBinding.
/// The baseline our engine and batcher are measured against.
/// </summary>
internal sealed class RawSileroBatch : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();
    private readonly List<OrtValue> _values = [];
    // The bound tensors' memory: referenced here so the GC never frees memory ORT reads and writes.
    private readonly List<byte[]> _memory = [];

    public static string ModelFile => Path.Combine(RepoPaths.Root, "models", "silero_vad", "1", "model.onnx");

    /// <param name="audio">One request's 512 float samples.</param>
    /// <param name="state">One slot's state, [2, 1, 128] floats.</param>
    public RawSileroBatch(int batch, byte[] audio, byte[] state)
    {
        _session = OrtSessions.Open(ModelFile, new OrtSessionSettings { IntraOpThreads = 1 });
        _binding = _session.CreateIoBinding();
        _binding.BindInput("input", Bind([batch, 512], DataType.Fp32, audio, 1));
        _binding.BindInput("state", Bind([2, batch, 128], DataType.Fp32, state, 2));
        _binding.BindInput("sr", Bind([], DataType.Int64, BitConverter.GetBytes(16000L), 1));
        _binding.BindOutput("output", Bind([batch, 1], DataType.Fp32, null, 1));
        _binding.BindOutput("stateN", Bind([2, batch, 128], DataType.Fp32, null, 1));
    }

    public void Run() => _session.RunWithBinding(_runOptions, _binding);

    // A tensor of `shape` whose rows are `row` (split in rowBlocks blocks along the batch axis), or zeros.
    private OrtValue Bind(long[] shape, DataType type, byte[]? row, int rowBlocks)
    {
        var bytes = (int)(Shapes.ElementCount(shape) * type.ByteSize());
        var mem = GC.AllocateArray<byte>(Math.Max(bytes, 1), pinned: true);
        _memory.Add(mem);
        if (row is not null)
        {
            var block = row.Length / rowBlocks;
            var perBlock = bytes / rowBlocks;
            for (var o = 0; o < rowBlocks; o++)
                for (var at = 0; at < perBlock; at += block) row.AsSpan(o * block, block).CopyTo(mem.AsSpan(o * perBlock + at, block));
        }
        var v = OrtTensors.OverPinned(mem, bytes, shape, type);
        _values.Add(v);
        return v;
    }

    public void Dispose()
    {
        _binding.Dispose();
        foreach (var v in _values) v.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }
}
