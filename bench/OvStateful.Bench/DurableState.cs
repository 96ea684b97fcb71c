using System.Diagnostics;
using System.Globalization;
using OvStateful.Core.Config;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using OvStateful.OnnxRuntime;

namespace OvStateful.Bench;

/// <summary>
/// Durable live sequences on Silero VAD, in process (the real batcher and ORT engine):
/// <list type="bullet">
/// <item>`durable-vs-off [sequences] [steps] [rounds] [folder] [sync-ms]`: S sequences × K steps with durable state off and on, alternating, R rounds; steps/s, p50/p99, the on/off ratio.</item>
/// <item>`durable-restart [sequences] [folder]`: starts N live sequences (spill on, so all but the slots' worth live in spill files), stops, then times loading the model again (restoring all N) against loading it with an empty folder.</item>
/// <item>`spill-bytes [sequences] [folder]`: N live sequences spilled; managed heap and spill-arena bytes per spilled sequence (durable off, then on when a folder is given).</item>
/// </list>
/// </summary>
internal static class DurableState
{
    private static readonly ModelConfig Config = LongIdle(ModelConfigParser.ParseFile(Path.Combine(RepoPaths.Root, "models", "silero_vad", "config.pbtxt")));

    // A million sequences take longer to start than the example's 60 s idle timeout.
    private static ModelConfig LongIdle(ModelConfig config)
    {
        config.SequenceBatching!.MaxSequenceIdleMicroseconds = 3_600_000_000;
        return config;
    }
    private static string VersionDir => Path.GetDirectoryName(RawSileroBatch.ModelFile)!;
    private static readonly OnnxRuntimeEngineProvider Provider = new(new OnnxRuntimeOptions { IntraOpThreads = 1 });

    private static ServedModel Load(BatcherOptions options) => ServedModel.Load(Provider, Config, "1", VersionDir, RawSileroBatch.ModelFile, options);

    private static Tensor Audio()
    {
        var r = new Random(7);
        var audio = new float[512];
        for (var i = 0; i < audio.Length; i++) audio[i] = (float)(r.NextDouble() - 0.5);
        return Tensor.FromArray("input", DataType.Fp32, [1, 512], audio);
    }

    private static string Folder(string[] args, int index) =>
        args.Length > index ? args[index] : Path.Combine(Path.GetTempPath(), "ovs-durable-bench-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));

    public static async Task<int> CompareAsync(string[] args)
    {
        var sequences = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 256;
        var steps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
        var rounds = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 3;
        var folder = Folder(args, 3);
        var sync = TimeSpan.FromMilliseconds(args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 1000);
        var input = Audio();
        var ratios = new List<(double Rate, double P99)>();
        Console.WriteLine($"silero_vad: {sequences} sequences x {steps} steps per run, {rounds} rounds; durable folder {folder}, msync every {sync.TotalMilliseconds} ms");
        for (var round = 1; round <= rounds; round++)
        {
            var results = new Dictionary<bool, (double Rate, double P50, double P99)>();
            // Alternate which goes first, so a drifting machine favours neither.
            foreach (var durable in round % 2 == 1 ? new[] { false, true } : [true, false])
            {
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
                var options = durable ? new BatcherOptions { StateDirectory = folder, StateSyncPeriod = sync } : BatcherOptions.Default;
                await using var model = Load(options);
                await BatcherVsRaw.RunSequences(model, input, 8, 4, idBase: 1_000_000, latencies: null); // warm-up
                var latencies = new long[sequences * steps];
                var wall = Stopwatch.StartNew();
                await BatcherVsRaw.RunSequences(model, input, sequences, steps, idBase: 1, latencies);
                wall.Stop();
                Array.Sort(latencies);
                results[durable] = (sequences * steps / wall.Elapsed.TotalSeconds, Ms(latencies, 0.50), Ms(latencies, 0.99));
            }
            var (off, on) = (results[false], results[true]);
            Console.WriteLine($"round {round}: off {off.Rate:F0} steps/s p50 {off.P50:F2} p99 {off.P99:F2} ms | on {on.Rate:F0} steps/s p50 {on.P50:F2} p99 {on.P99:F2} ms | on/off {on.Rate / off.Rate:F3}");
            ratios.Add((on.Rate / off.Rate, on.P99 / off.P99));
        }
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        var rates = ratios.Select(r => r.Rate).Order().ToList();
        var p99s = ratios.Select(r => r.P99).Order().ToList();
        Console.WriteLine($"median over {rounds} rounds: steps/s on/off {rates[rates.Count / 2]:F3} ({rates[0]:F3}-{rates[^1]:F3}); p99 on/off {p99s[p99s.Count / 2]:F3}");
        return 0;
    }

    /// <remarks>
    /// The third argument picks the phase: <c>fill</c> (start the sequences and stop; slow, needs
    /// no quiet machine), <c>restart</c> (time the restart of a filled folder, then delete it), or
    /// both (the default).
    /// </remarks>
    public static async Task<int> RestartAsync(string[] args)
    {
        var sequences = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
        var folder = Folder(args, 1);
        var phase = args.Length > 2 ? args[2] : "both";
        var empty = folder + "-empty";
        var options = new BatcherOptions { StateDirectory = folder, SpillEnabled = true, SpillMemoryCapBytes = 64L << 30 };
        var input = Audio();

        if (phase is "fill" or "both")
        {
            foreach (var f in new[] { folder, empty }) if (Directory.Exists(f)) Directory.Delete(f, recursive: true);
            var fill = Stopwatch.StartNew();
            await using var model = Load(options);
            await StartSequences(model, input, sequences);
            var stats = model.GetStatistics();
            Console.WriteLine($"started {sequences} live sequences in {fill.Elapsed.TotalSeconds:F1} s: {stats.SlotsInUse} in slots, {stats.SpilledSequences} spilled ({stats.SpilledBytes / (1 << 20)} MiB)");
        }
        if (phase == "fill") return 0;
        var bytes = Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
        Console.WriteLine($"state folder: {bytes / (double)(1 << 20):F0} MiB, {bytes / (double)sequences:F0} bytes per sequence");

        // Baseline: the same load with nothing to restore (session creation, journals).
        var baseline = Stopwatch.StartNew();
        await using (Load(options with { StateDirectory = empty })) baseline.Stop();
        var restart = Stopwatch.StartNew();
        await using (var model = Load(options))
        {
            restart.Stop();
            var restored = model.GetStatistics().ActiveSequences;
            Console.WriteLine($"restart with {restored} live sequences: {restart.Elapsed.TotalSeconds:F2} s (load with an empty state folder: {baseline.Elapsed.TotalSeconds:F2} s; restoring: {(restart.Elapsed - baseline.Elapsed).TotalSeconds:F2} s)");
            if (restored != sequences) throw new InvalidOperationException($"{restored} sequences restored; {sequences} expected");
            // They are live: a few continue.
            await BatcherVsRaw.RunSequences(model, input, 64, 1, idBase: 1, latencies: null, controls: false);
        }
        foreach (var f in new[] { folder, empty }) Directory.Delete(f, recursive: true);
        return 0;
    }

    public static async Task<int> SpillBytesAsync(string[] args)
    {
        var sequences = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var input = Audio();
        foreach (var folder in args.Length > 1 ? new[] { null, args[1] } : [null])
        {
            if (folder is not null && Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
            var options = new BatcherOptions { SpillEnabled = true, SpillMemoryCapBytes = 64L << 30, StateDirectory = folder };
            await using var model = Load(options);
            await StartSequences(model, input, 2048); // warm: slots full, pools, first spill segment
            var heapBefore = Heap();
            var spilledBefore = model.GetStatistics().SpilledBytes;
            await StartSequences(model, input, sequences, firstId: 10_000_000);
            var heapAfter = Heap();
            var stats = model.GetStatistics();
            var spilled = stats.SpilledSequences;
            var heap = (heapAfter - heapBefore) / (double)sequences;
            var arena = (stats.SpilledBytes - spilledBefore) / (double)sequences;
            Console.WriteLine($"{(folder is null ? "durable off" : "durable on ")}: {sequences} more live sequences, {spilled} spilled in all: managed heap {heap:F0} B + spill records {arena:F0} B = {heap + arena:F0} bytes per spilled sequence (state 1024 B)");
            if (folder is not null) Directory.Delete(folder, recursive: true);
        }
        return 0;
    }

    /// <summary>Live sequences that each ran one START step (and no END), 1024 clients at a time.</summary>
    private static async Task StartSequences(ServedModel model, Tensor input, int count, ulong firstId = 1)
    {
        var next = -1L;
        await Task.WhenAll(Enumerable.Range(0, 1024).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                await model.InferAsync(new InferenceRequest
                {
                    ModelName = model.Name,
                    SequenceId = new SequenceId(firstId + (ulong)i),
                    SequenceStart = true,
                    Inputs = [input],
                }, CancellationToken.None);
            }
        })));
    }

    private static long Heap()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private static double Ms(long[] sorted, double q) => sorted[(int)Math.Min(sorted.Length - 1, q * sorted.Length)] * 1000.0 / Stopwatch.Frequency;
}
