using System.Diagnostics;
using System.Globalization;

namespace OvStateful.Bench;

/// <summary>
/// `engine-vs-raw [rounds] [B,B,...]`: <see cref="EngineBenchmarks"/>' two cases (raw RunWithBinding and
/// engine Execute, Silero VAD, B = 1/16/64/256) timed in alternating rounds in one process, so
/// load that comes and goes on a shared machine falls on both sides alike. Per B: the median
/// time of a step on each side, the median and range of the per-round throughput ratios
/// (raw time ÷ engine time: ≥ 1 means the engine is as fast), and managed bytes per Execute.
/// </summary>
internal static class EngineVsRaw
{
    // Each side of a round runs this long (about), so a round is a fair sample at every B.
    private static readonly TimeSpan SideTime = TimeSpan.FromMilliseconds(60);

    public static int Run(string[] args)
    {
        var rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 21;
        var batches = args.Length > 1 ? args[1].Split(',').Select(b => int.Parse(b, CultureInfo.InvariantCulture)).ToArray() : [1, 16, 64, 256];
        Console.WriteLine($"engine vs raw ORT, Silero VAD v5, one intra-op thread, {rounds} alternating rounds per batch size");
        Console.WriteLine("| B | raw RunWithBinding | engine Execute | throughput engine / raw (median, min-max over rounds) | allocated per Execute |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: |");
        foreach (var batch in batches)
        {
            var bench = new EngineBenchmarks { Batch = batch };
            bench.Setup();
            try
            {
                var perSide = Math.Max(2, (int)(SideTime / (Time(bench.Engine, 3) / 3)));
                for (var i = 0; i < 3; i++) { Time(bench.RawOrt, perSide); Time(bench.Engine, perSide); }
                var raw = new double[rounds];
                var engine = new double[rounds];
                for (var r = 0; r < rounds; r++)
                {
                    // Alternate which side goes first, so neither always follows the other.
                    if (r % 2 == 0) { raw[r] = PerRun(bench.RawOrt, perSide); engine[r] = PerRun(bench.Engine, perSide); }
                    else { engine[r] = PerRun(bench.Engine, perSide); raw[r] = PerRun(bench.RawOrt, perSide); }
                }
                var ratios = raw.Zip(engine, (a, b) => a / b).Order().ToArray();
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < perSide; i++) bench.Engine();
                var allocated = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)perSide;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {batch} | {Median(raw):F1} us | {Median(engine):F1} us | {Median(ratios):F3} ({ratios[0]:F3}-{ratios[^1]:F3}) | {allocated:F0} B |"));
            }
            finally
            {
                bench.Cleanup();
            }
        }
        return 0;
    }

    private static TimeSpan Time(Action step, int runs)
    {
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < runs; i++) step();
        return watch.Elapsed;
    }

    // Microseconds per run.
    private static double PerRun(Action step, int runs) => Time(step, runs).TotalMicroseconds / runs;

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
