using BenchmarkDotNet.Running;

namespace OvStateful.Bench;

/// <summary>
/// BenchmarkDotNet entry: `dotnet run -c Release --project bench/OvStateful.Bench -- --filter '*'`;
/// `-- batcher-vs-raw [sequences] [steps]` runs the in-process steady-state comparison instead,
/// `-- engine-vs-raw [rounds]` EngineBenchmarks' cases in alternating rounds (robust to a busy machine),
/// `-- engines [threads] [rounds] [steps]` the interleaved OpenVINO vs ONNX Runtime engine comparison,
/// `-- shim B threads steps` the OpenVINO engine and the bare shim at one batch size;
/// `-- durable-vs-off`, `-- durable-restart` and `-- spill-bytes` measure durable live sequences (<see cref="DurableState"/>);
/// `-- session-spread [sessions] [runs] [batch]` raw Silero steps/s of one fresh ORT session after another (<see cref="SessionSpread"/>).
/// See bench/README.md for the recorded results and the exact commands.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "batcher-vs-raw") return BatcherVsRaw.RunAsync(args[1..]).GetAwaiter().GetResult();
        if (args.Length > 0 && args[0] == "durable-vs-off") return DurableState.CompareAsync(args[1..]).GetAwaiter().GetResult();
        if (args.Length > 0 && args[0] == "durable-restart") return DurableState.RestartAsync(args[1..]).GetAwaiter().GetResult();
        if (args.Length > 0 && args[0] == "spill-bytes") return DurableState.SpillBytesAsync(args[1..]).GetAwaiter().GetResult();
        if (args.Length > 0 && args[0] == "engines") return EngineInterleave.Run(args[1..]);
        if (args.Length > 0 && args[0] == "shim") return EngineInterleave.Shim(args[1..]);
        if (args.Length > 0 && args[0] == "session-spread") return SessionSpread.Run(args[1..]);
        if (args.Length > 0 && args[0] == "engine-vs-raw") return EngineVsRaw.Run(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, new BenchConfig());
        return 0;
    }
}
