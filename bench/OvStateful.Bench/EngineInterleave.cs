using System.Diagnostics;
using System.Globalization;
using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.OnnxRuntime;
using OvStateful.OpenVino;

namespace OvStateful.Bench;

/// <summary>
/// `engines [threads] [rounds] [steps]`: the ONNX Runtime engine and the OpenVINO engine (batched,
/// per-slot, and batched without its batch-1 copy) on Silero VAD v6 and gru_counter at B = 1, 16, 64, 256, with the same threads,
/// measured in interleaved rounds (each round times <c>steps</c> Execute calls of every engine in
/// turn), so that load from elsewhere on a shared machine falls on all of them alike. Prints the
/// median over rounds of each engine's mean µs per batch, and the ratios.
/// </summary>
internal static class EngineInterleave
{
    private static readonly string[] Engines = ["onnxruntime", "openvino:batched", "openvino:per_slot", "openvino:batched:0"];

    public static int Run(string[] args)
    {
        var threads = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1;
        var rounds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 7;
        var steps = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 0;
        Console.WriteLine($"threads {threads}, {rounds} interleaved rounds; median over rounds of the mean µs per Execute; load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine("| model | B | onnxruntime | openvino batched | openvino per_slot | openvino batched, no batch-1 copy | ORT ÷ OV batched | ORT ÷ OV per_slot |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var model in new[] { "silero_vad_v6", "gru_counter" })
        {
            foreach (var b in new[] { 1, 16, 64, 256 })
            {
                var engines = Engines.Select(e => Load(model, e, threads)).ToArray();
                try
                {
                    var batches = engines.Select(e => BenchSteps.Batch(e, b, 1024)).ToArray();
                    // Enough calls per round for ~50 ms of the slowest engine, unless given.
                    var n = steps > 0 ? steps : Math.Max(3, 20_000 / (b * (model == "gru_counter" ? 2 : 30) + 50));
                    var samples = engines.Select(_ => new List<double>()).ToArray();
                    for (var w = 0; w < 3; w++) for (var i = 0; i < engines.Length; i++) engines[i].Execute(batches[i]);
                    for (var r = 0; r < rounds; r++)
                    {
                        for (var i = 0; i < engines.Length; i++)
                        {
                            var sw = Stopwatch.StartNew();
                            for (var k = 0; k < n; k++) engines[i].Execute(batches[i]);
                            samples[i].Add(sw.Elapsed.TotalMicroseconds / n);
                        }
                    }
                    var med = samples.Select(Median).ToArray();
                    Console.WriteLine(FormattableString.Invariant($"| {model} | {b} | {med[0]:F1} | {med[1]:F1} | {med[2]:F1} | {med[3]:F1} | {med[0] / med[1]:F2}× | {med[0] / med[2]:F2}× |"));
                }
                finally
                {
                    foreach (var e in engines) e.Dispose();
                }
            }
        }
        Console.WriteLine($"load after: {File.ReadAllText("/proc/loadavg").Trim()}");
        return 0;
    }

    private static IStatefulEngine Load(string model, string engine, int threads)
    {
        var dir = Path.Combine(RepoPaths.Root, "models", model);
        var config = ModelConfigParser.ParseFile(Path.Combine(dir, "config.pbtxt"));
        config.MaxBatchSize = 256;
        IEngineProvider provider = new OnnxRuntimeEngineProvider(new OnnxRuntimeOptions { IntraOpThreads = threads });
        if (engine.StartsWith("openvino", StringComparison.Ordinal))
        {
            var parts = engine.Split(':');
            config.Parameters["openvino_mode"] = parts[1];
            if (parts.Length > 2) config.Parameters["openvino_static_batch1"] = parts[2];
            provider = new OpenVinoEngineProvider(new OpenVinoProviderOptions { NumThreads = threads });
        }
        var file = Path.Combine(dir, "1", "model.onnx");
        return provider.Load(new EngineLoadContext(config, Path.GetDirectoryName(file)!, file, 1024));
    }

    private static double Median(List<double> v)
    {
        var s = v.Order().ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
