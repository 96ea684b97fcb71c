using System.Globalization;
using OvStateful.Cli.Reports;

namespace OvStateful.Cli.Charts;

/// <summary>
/// The figures of run, compare and bench, each made to answer its question: one run over time
/// (did it settle, what was measured), a sweep over load levels (where does throughput stop
/// growing, what does latency pay for it), engines side by side (is there a difference beyond
/// the noise).
/// </summary>
internal static class MeasurementCharts
{
    private const string Higher = "higher is better", Lower = "lower is better";

    /// <summary>One run: throughput and p99 over time as lines, the warm-up and the windows measured shaded; the latency percentiles as bars.</summary>
    public static void WriteRun(string path, string title, MeasurementReport r) => Figure.Write(path, title, RunPanels(r));

    public static IReadOnlyList<ChartPanel> RunPanels(MeasurementReport r)
    {
        var panels = new List<ChartPanel>();
        if (r.Timeline is { StepsPerSecond.Count: > 0 } t)
        {
            // Each bucket's value drawn at its middle.
            var at = t.StepsPerSecond.Select((_, i) => (i + 0.5) * t.BucketSeconds).ToList();
            var shades = new List<Shade>();
            if (r.Measurement is { Windows.Count: > 0 } m)
            {
                var first = m.Windows[0].StartSeconds;
                if (first > 0) shades.Add(new Shade(0, first, "warm-up", "#cccccc"));
                var last = m.Windows.Skip(Math.Max(0, m.Windows.Count - 3)).ToList();
                shades.Add(new Shade(last[0].StartSeconds, last[^1].StartSeconds + last[^1].Seconds, "measured", "#c8e6c9"));
            }
            panels.Add(new LinePanel("throughput over time", "time since start (s)", "throughput (steps/s)", Higher,
                [new Series("steps/s", at.Zip(t.StepsPerSecond).ToList())], Shades: shades));
            panels.Add(new LinePanel("p99 latency over time", "time since start (s)", "p99 latency (ms)", Lower,
                [new Series("p99", at.Zip(t.P99Ms).Where(p => p.Second > 0).ToList())], Shades: shades));
        }
        var l = r.LatencyMs;
        panels.Add(new BarPanel("latency percentiles" + (r.Measurement is null ? "" : " (measured windows)"), "latency (ms)", Lower,
            [new("p50", l.P50Ms), new("p90", l.P90Ms), new("p95", l.P95Ms), new("p99", l.P99Ms), new("max", l.MaxMs)], "G3"));
        return panels;
    }

    /// <summary>
    /// A sweep over concurrency (or request rate): throughput and p50/p99 latency as lines over the
    /// levels (log x when they span a decade), and latency against throughput, each point a level.
    /// </summary>
    public static void WriteSweep(string path, string title, IReadOnlyList<MeasurementReport> rows, IReadOnlyList<double> levels, bool requestRate) =>
        Figure.Write(path, title, SweepPanels(rows, levels, requestRate));

    public static IReadOnlyList<ChartPanel> SweepPanels(IReadOnlyList<MeasurementReport> rows, IReadOnlyList<double> levels, bool requestRate)
    {
        var xTitle = requestRate ? "request rate asked (steps/s)" : "concurrent sequences";
        var ok = rows.Select((r, i) => (r, x: levels[i])).Where(p => p.r.Available && p.r.StepsOk > 0).ToList();
        static string Level(double x, bool rate) => rate ? x.ToString("0.##", CultureInfo.InvariantCulture) + "/s" : "n=" + x.ToString("0", CultureInfo.InvariantCulture);
        var throughput = new List<Series> { new("achieved", ok.Select(p => (p.x, p.r.StepsPerSecond)).ToList()) };
        if (requestRate) throughput.Add(new Series("asked", ok.Select(p => (p.x, p.x)).ToList(), Dashed: true));
        return
        [
            new LinePanel("throughput by load", xTitle, "throughput (steps/s)", Higher, throughput, AllowLogX: true),
            new LinePanel("latency by load", xTitle, "latency per step (ms)", Lower,
                [new Series("p50", ok.Select(p => (p.x, p.r.LatencyMs.P50Ms)).ToList()), new Series("p99", ok.Select(p => (p.x, p.r.LatencyMs.P99Ms)).ToList())], AllowLogX: true),
            new LinePanel("latency vs throughput", "throughput (steps/s)", "latency per step (ms)", "down and right is better",
                [new Series("p50", ok.Select(p => (p.r.StepsPerSecond, p.r.LatencyMs.P50Ms)).ToList()),
                 new Series("p99", ok.Select(p => (p.r.StepsPerSecond, p.r.LatencyMs.P99Ms)).ToList(), Labels: ok.Select(p => Level(p.x, requestRate)).ToList())]),
        ];
    }

    /// <summary>
    /// Engines side by side: throughput with its spread over the rounds and the ratio to the first
    /// engine written above each bar; p50 and p99 latency with their spread; peak working set.
    /// </summary>
    public static void WriteCompare(string path, string title, IReadOnlyList<MeasurementReport> rows, string? footnote) =>
        Figure.Write(path, title, ComparePanels(rows), footnote);

    public static IReadOnlyList<ChartPanel> ComparePanels(IReadOnlyList<MeasurementReport> rows)
    {
        static bool Ran(MeasurementReport r) => r.Available && r.StepsOk > 0;
        Bar B(MeasurementReport r, Func<RoundFigures, double> f, double value, string? note = null) =>
            !Ran(r) ? new Bar(r.Engine, null)
            : r.RoundFigures is { Count: > 0 } rounds ? new Bar(r.Engine, value, rounds.Min(f), rounds.Max(f), note)
            : new Bar(r.Engine, value, Note: note);
        string? Ratio(MeasurementReport r) => r.RatioToFirst is { } q
            ? (q.Measurable ? $"{q.Ratio.ToString("F2", CultureInfo.InvariantCulture)}× the first\n({q.IntervalText})" : $"no measurable\ndifference\n({q.IntervalText})")
            : Ran(r) && r == rows.FirstOrDefault(Ran) && rows.Count(Ran) > 1 ? "reference" : null;
        return
        [
            new BarPanel("throughput (mean of rounds)", "throughput (steps/s)", Higher + " · whiskers: slowest–fastest window",
                rows.Select(r => B(r, x => x.StepsPerSecondMin, r.StepsPerSecond, Ratio(r)) with { High = r.RoundFigures?.Max(x => x.StepsPerSecondMax) }).ToList(), "F0"),
            new BarPanel("p50 latency (mean of rounds)", "p50 latency per step (ms)", Lower + " · whiskers: over rounds", rows.Select(r => B(r, x => x.P50Ms, r.LatencyMs.P50Ms)).ToList(), "G3"),
            new BarPanel("p99 latency (mean of rounds)", "p99 latency per step (ms)", Lower + " · whiskers: over rounds", rows.Select(r => B(r, x => x.P99Ms, r.LatencyMs.P99Ms)).ToList(), "G3"),
            new BarPanel("peak working set", "memory (MiB)", Lower,
                rows.Select(r => new Bar(r.Engine, r.Memory is { } m && r.Available ? m.PeakWorkingSetBytes / 1048576.0 : null)).ToList(), "F0"),
        ];
    }
}
