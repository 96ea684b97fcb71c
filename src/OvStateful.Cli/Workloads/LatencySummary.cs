namespace OvStateful.Cli.Workloads;

/// <summary>Step latency in milliseconds: mean and nearest-rank percentiles.</summary>
internal sealed record LatencySummary(double MeanMs, double P50Ms, double P90Ms, double P95Ms, double P99Ms, double MaxMs)
{
    public static LatencySummary Empty { get; } = new(0, 0, 0, 0, 0, 0);

    /// <summary>The percentile asked for with --percentile (−1: the mean, perf_analyzer's default); null when none was asked for.</summary>
    public double? ChosenPercentile { get; init; }

    /// <summary>The latency at <see cref="ChosenPercentile"/> (the mean for −1); null with it.</summary>
    public double? ChosenMs { get; init; }

    /// <summary>The latency that stability is judged on: <see cref="ChosenMs"/>, else p99.</summary>
    public double StabilityMs => ChosenMs ?? P99Ms;

    /// <param name="ms">Latencies in milliseconds; sorted in place.</param>
    /// <param name="percentile">Also report this percentile (−1: the mean).</param>
    public static LatencySummary Of(double[] ms, double? percentile = null)
    {
        if (ms.Length == 0) return percentile is null ? Empty : Empty with { ChosenPercentile = percentile, ChosenMs = 0 };
        Array.Sort(ms);
        var mean = ms.Average();
        return new LatencySummary(mean, Percentile(ms, 50), Percentile(ms, 90), Percentile(ms, 95), Percentile(ms, 99), ms[^1])
        {
            ChosenPercentile = percentile,
            ChosenMs = percentile is not { } p ? null : p < 0 ? mean : Percentile(ms, p),
        };
    }

    /// <summary>Each figure's mean over several measurements (compare's rounds, run's repeats); the max is the largest.</summary>
    public static LatencySummary Mean(IReadOnlyList<LatencySummary> l) =>
        new(l.Average(x => x.MeanMs), l.Average(x => x.P50Ms), l.Average(x => x.P90Ms), l.Average(x => x.P95Ms), l.Average(x => x.P99Ms), l.Max(x => x.MaxMs))
        {
            ChosenPercentile = l[0].ChosenPercentile,
            ChosenMs = l[0].ChosenMs is null ? null : l.Average(x => x.ChosenMs ?? 0),
        };

    /// <summary>Nearest rank: the smallest value with at least p% of the values at or below it.</summary>
    public static double Percentile(double[] sorted, double p)
    {
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }

    /// <summary>"p85" or "mean": how the chosen latency is named in tables.</summary>
    public static string NameOf(double percentile) =>
        percentile < 0 ? "mean" : "p" + percentile.ToString("0.##", System.Globalization.CultureInfo.InvariantCulture);
}
