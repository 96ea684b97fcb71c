using System.Diagnostics;
using System.Globalization;
using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using OvStateful.OnnxRuntime;

namespace OvStateful.Bench;

/// <summary>
/// `batcher-vs-raw [sequences] [steps]`: S concurrent Silero VAD sequences stream K steps each
/// through the real batcher and ORT engine in this process; then the same number of batches, of
/// exactly the sizes the batcher formed, run raw through ORT (<see cref="RawSileroBatch"/>). One
/// run, one ratio: in-process steps/s ÷ raw steps/s at those batch sizes, plus step latency
/// percentiles and managed bytes allocated per step.
/// </summary>
internal static class BatcherVsRaw
{
    public static async Task<int> RunAsync(string[] args)
    {
        var sequences = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 256;
        var steps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 40;
        var config = ModelConfigParser.ParseFile(Path.Combine(RepoPaths.Root, "models", "silero_vad", "config.pbtxt"));
        var versionDir = Path.GetDirectoryName(RawSileroBatch.ModelFile)!;
        var provider = new OnnxRuntimeEngineProvider(new OnnxRuntimeOptions { IntraOpThreads = 1 });
        await using var model = ServedModel.Load(provider, config, "1", versionDir, RawSileroBatch.ModelFile);

        var r = new Random(7);
        var audio = new float[512];
        for (var i = 0; i < audio.Length; i++) audio[i] = (float)(r.NextDouble() - 0.5);
        var input = Tensor.FromArray("input", DataType.Fp32, [1, 512], audio);

        // Warm-up: one sequence of a few steps (binding creation, JIT).
        await RunSequences(model, input, 8, 4, idBase: 1_000_000, latencies: null);
        var warm = model.GetStatistics();

        var latencies = new long[sequences * steps];
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var wall = Stopwatch.StartNew();
        await RunSequences(model, input, sequences, steps, idBase: 1, latencies);
        wall.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var stats = model.GetStatistics();

        // The batch sizes the measured run formed (minus the warm-up's).
        var formed = stats.BatchStats
            .Select(b => (b.BatchSize, Count: b.ComputeInfer.Count - (warm.BatchStats.FirstOrDefault(w => w.BatchSize == b.BatchSize)?.ComputeInfer.Count ?? 0)))
            .Where(b => b.Count > 0).OrderBy(b => b.BatchSize).ToList();
        // A real state (after a few steps of this audio), not zeros: both sides compute on the same kind of numbers.
        byte[] stateRow;
        using (var probe = provider.Load(new EngineLoadContext(config, versionDir, RawSileroBatch.ModelFile, 1)))
        {
            var batch = new StepBatch(1, 1, 1);
            batch.Add(0, StepFlags.Start, new SequenceId(1));
            batch.SetInput(0, 0, input.Data);
            for (var i = 0; i < 4; i++) probe.Execute(batch);
            stateRow = probe.ExportSlot(0).States[0].Data.ToArray();
        }
        var rawTime = TimeSpan.Zero;
        foreach (var (size, count) in formed)
        {
            using var raw = new RawSileroBatch(size, input.Data.ToArray(), stateRow);
            raw.Run(); // warm
            var sw = Stopwatch.StartNew();
            for (ulong i = 0; i < count; i++) raw.Run();
            rawTime += sw.Elapsed;
        }

        var total = sequences * steps;
        var ours = total / wall.Elapsed.TotalSeconds;
        var rawRate = total / rawTime.TotalSeconds;
        Array.Sort(latencies);
        double Ms(double q) => latencies[(int)Math.Min(latencies.Length - 1, q * latencies.Length)] * 1000.0 / Stopwatch.Frequency;
        Console.WriteLine($"silero_vad: {sequences} sequences x {steps} steps = {total} steps, batches formed: " +
            string.Join(" ", formed.Select(f => $"{f.BatchSize}x{f.Count}")));
        Console.WriteLine($"in-process (batcher + engine): {ours:F0} steps/s; p50 {Ms(0.50):F2} ms, p99 {Ms(0.99):F2} ms");
        Console.WriteLine($"raw ORT Run at the same batch sizes: {rawRate:F0} steps/s");
        Console.WriteLine($"ratio in-process / raw: {ours / rawRate:F3}");
        var batches = (double)(stats.ExecutionCount - warm.ExecutionCount);
        double PerBatchMs(StatisticDuration now, StatisticDuration before) => (now.Ns - before.Ns) / batches / 1e6;
        Console.WriteLine($"per batch: wall {wall.Elapsed.TotalMilliseconds / batches:F2} ms = compute input {PerBatchMs(stats.ComputeInput, warm.ComputeInput):F2} + infer {PerBatchMs(stats.ComputeInfer, warm.ComputeInfer):F2} + output {PerBatchMs(stats.ComputeOutput, warm.ComputeOutput):F2} ms + the rest (clients, queueing); raw run {rawTime.TotalMilliseconds / batches:F2} ms");
        Console.WriteLine($"managed allocation: {allocated / (double)total:F0} bytes per step (whole process, clients and responses included)");
        return 0;
    }

    /// <summary>S sequence clients, each sending K steps one after another (START on the first and END on the last, unless <paramref name="controls"/> is false: then continuing steps only), latency per step.</summary>
    internal static async Task RunSequences(ServedModel model, Tensor input, int sequences, int steps, ulong idBase, long[]? latencies, bool controls = true)
    {
        var clients = Enumerable.Range(0, sequences).Select(s => Task.Run(async () =>
        {
            for (var t = 0; t < steps; t++)
            {
                var start = Stopwatch.GetTimestamp();
                await model.InferAsync(new InferenceRequest
                {
                    ModelName = model.Name,
                    SequenceId = new SequenceId(idBase + (ulong)s),
                    SequenceStart = controls && t == 0,
                    SequenceEnd = controls && t == steps - 1,
                    Inputs = [input],
                }, CancellationToken.None);
                if (latencies is not null) latencies[s * steps + t] = Stopwatch.GetTimestamp() - start;
            }
        }));
        await Task.WhenAll(clients);
    }
}
