using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using OvStateful.Core.Tensors;
using OvStateful.OnnxRuntime;

namespace OvStateful.Bench;

/// <summary>
/// `session-spread [sessions] [runs] [batch]`: Silero VAD raw through ONNX Runtime, one fresh
/// session after another in this one process, each with its bound tensors placed at a chosen
/// offset from a 64-byte boundary (0, 16, 32, 48 in turn): steps/s per session. Separates what
/// makes one session (or process) faster than the next: the tensors' alignment, or the session.
/// </summary>
internal static unsafe class SessionSpread
{
    public static int Run(string[] args)
    {
        var sessions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 12;
        var runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 500;
        var batch = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 64;
        Console.WriteLine($"silero_vad raw ORT, batch {batch}, one intra-op thread, {runs} timed runs per session");
        for (var i = 0; i < sessions; i++)
        {
            var offset = i % 4 * 16;
            using var session = OrtSessions.Open(RawSileroBatch.ModelFile, new OrtSessionSettings { IntraOpThreads = 1 });
            using var binding = session.CreateIoBinding();
            using var options = new RunOptions();
            var memory = new List<byte[]>();
            var values = new List<OrtValue>();
            OrtValue Bind(long[] shape, DataType type, float fill)
            {
                var bytes = (int)(Shapes.ElementCount(shape) * type.ByteSize());
                var mem = GC.AllocateArray<byte>(bytes + 128, pinned: true);
                memory.Add(mem);
                fixed (byte* p = mem)
                {
                    var aligned = (byte*)(((nint)p + 63) & ~(nint)63) + offset;
                    if (type == DataType.Fp32) new Span<float>(aligned, bytes / 4).Fill(fill);
                    else *(long*)aligned = 16000;
                    var v = OrtTensors.OverMemory(OrtMemoryInfo.DefaultInstance, (IntPtr)aligned, bytes, shape, type);
                    values.Add(v);
                    return v;
                }
            }
            binding.BindInput("input", Bind([batch, 512], DataType.Fp32, 0.01f));
            binding.BindInput("state", Bind([2, batch, 128], DataType.Fp32, 0.1f));
            binding.BindInput("sr", Bind([], DataType.Int64, 0));
            binding.BindOutput("output", Bind([batch, 1], DataType.Fp32, 0));
            binding.BindOutput("stateN", Bind([2, batch, 128], DataType.Fp32, 0));
            for (var w = 0; w < 100; w++) session.RunWithBinding(options, binding);
            var clock = Stopwatch.StartNew();
            for (var r = 0; r < runs; r++) session.RunWithBinding(options, binding);
            clock.Stop();
            Console.WriteLine($"session {i + 1}: offset {offset,2}: {runs * batch / clock.Elapsed.TotalSeconds:F0} steps/s ({clock.Elapsed.TotalMilliseconds * 1000 / runs:F0} µs/run)");
            foreach (var v in values) v.Dispose();
            GC.KeepAlive(memory);
        }
        return 0;
    }
}
