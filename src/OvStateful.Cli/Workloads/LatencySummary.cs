namespace OvStateful.Cli.Workloads;

/// <summary>Step latency in milliseconds: mean and nearest-rank percentiles.</summary>
internal sealed record LatencySummary(double MeanMs, double P50Ms, double P90Ms, double P95Ms, double P99Ms, double MaxMs)
{
    public static LatencySummary Empty { get; } = new(0, 0, 0, 0, 0, 0);

    /// <param name="ms">Latencies in milliseconds; sorted in place.</param>
    public static LatencySummary Of(double[] ms)
    {
        if (ms.Length == 0) return Empty;
        Array.Sort(ms);
        return new LatencySummary(ms.Average(), Percentile(ms, 50), Percentile(ms, 90), Percentile(ms, 95), Percentile(ms, 99), ms[^1]);
    }

    /// <summary>Nearest rank: the smallest value with at least p% of the values at or below it.</summary>
    public static double Percentile(double[] sorted, double p)
    {
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
