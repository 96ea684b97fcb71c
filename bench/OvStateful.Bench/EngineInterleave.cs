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
/// turn, starting with a different one each round), so that load from elsewhere on a shared machine,
/// and one runtime's threads still spinning after its turn, fall on all of them alike. For Silero
/// also the same step straight through the shim (<see cref="RawOpenVinoSilero"/>: set_state + infer
/// + get_state, and infer alone), the cost our C# path adds being the difference. Prints the median
/// over rounds of each one's mean µs per batch, and the ratios.
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
        Console.WriteLine("| model | B | onnxruntime | openvino batched | openvino per_slot | openvino batched, no batch-1 copy | shim set+infer+get | shim infer only | ORT ÷ OV batched | ORT ÷ OV per_slot |");
        Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var model in new[] { "silero_vad_v6", "gru_counter" })
        {
            foreach (var b in new[] { 1, 16, 64, 256 })
            {
                var engines = Engines.Select(e => Load(model, e, threads)).ToArray();
                using var raw = model == "silero_vad_v6" ? new RawOpenVinoSilero(b, threads) : null;
                try
                {
                    var batches = engines.Select(e => BenchSteps.Batch(e, b, 1024)).ToArray();
                    var runs = engines.Select((e, i) => (Action)(() => e.Execute(batches[i]))).ToList();
                    if (raw is not null)
                    {
                        runs.Add(raw.Step);
                        runs.Add(raw.InferOnly);
                    }
                    // Enough calls per round for ~50 ms of the slowest engine, unless given.
                    var n = steps > 0 ? steps : Math.Max(3, 20_000 / (b * (model == "gru_counter" ? 2 : 30) + 50));
                    var samples = runs.Select(_ => new List<double>()).ToArray();
                    for (var w = 0; w < 3; w++) foreach (var run in runs) run();
                    for (var r = 0; r < rounds; r++)
                    {
                        for (var j = 0; j < runs.Count; j++)
                        {
                            var i = (j + r) % runs.Count;
                            var sw = Stopwatch.StartNew();
                            for (var k = 0; k < n; k++) runs[i]();
                            samples[i].Add(sw.Elapsed.TotalMicroseconds / n);
                        }
                    }
                    var med = samples.Select(Median).ToArray();
                    var shim = raw is null ? "| - | - " : FormattableString.Invariant($"| {med[4]:F1} | {med[5]:F1} ");
                    Console.WriteLine(FormattableString.Invariant($"| {model} | {b} | {med[0]:F1} | {med[1]:F1} | {med[2]:F1} | {med[3]:F1} {shim}| {med[0] / med[1]:F2}× | {med[0] / med[2]:F2}× |"));
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

    /// <summary>`shim B threads steps`: the engine's batched Execute and the bare shim step on Silero at one B, medians of 5 rounds (for alternating with openvino_python_api.py).</summary>
    public static int Shim(string[] args)
    {
        var b = int.Parse(args[0], CultureInfo.InvariantCulture);
        var threads = int.Parse(args[1], CultureInfo.InvariantCulture);
        var steps = int.Parse(args[2], CultureInfo.InvariantCulture);
        using var engine = Load("silero_vad_v6", "openvino:batched", threads);
        using var raw = new RawOpenVinoSilero(b, threads);
        var batch = BenchSteps.Batch(engine, b, 1024);
        var runs = new Action[] { () => engine.Execute(batch), raw.Step };
        var samples = runs.Select(_ => new List<double>()).ToArray();
        for (var w = 0; w < 20; w++) foreach (var run in runs) run();
        for (var r = 0; r < 5; r++)
        {
            for (var i = 0; i < runs.Length; i++)
            {
                var sw = Stopwatch.StartNew();
                for (var k = 0; k < steps; k++) runs[i]();
                samples[i].Add(sw.Elapsed.TotalMicroseconds / steps);
            }
        }
        Console.WriteLine(FormattableString.Invariant($"silero_vad_v6 batch {b}: engine Execute {Median(samples[0]):F1} us, shim set+infer+get {Median(samples[1]):F1} us"));
        return 0;
    }

    /// <summary>
    /// An example model (max_batch_size raised to 256) on one engine with <paramref name="threads"/> inference threads:
    /// "onnxruntime", or "openvino:MODE[:STATIC_BATCH1]" (e.g. "openvino:batched", "openvino:per_slot", "openvino:batched:0").
    /// </summary>
    internal static IStatefulEngine Load(string model, string engine, int threads)
    {
        var dir = Path.Combine(RepoPaths.Root, "models", model);
        var config = ModelConfigParser.ParseFile(Path.Combine(dir, "config.pbtxt"));
        config.MaxBatchSize = 256;
        IEngineProvider provider = new OnnxRuntimeEngineProvider(new OnnxRuntimeOptions { IntraOpThreads = threads });
        if (engine.StartsWith("openvino", StringComparison.Ordinal))
        {
            var parts = engine.Split(':');
            config.SetParameter("openvino_mode", parts[1]);
            if (parts.Length > 2) config.SetParameter("openvino_static_batch1", parts[2]);
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
