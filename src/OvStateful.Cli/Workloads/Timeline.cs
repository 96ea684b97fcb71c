namespace OvStateful.Cli.Workloads;

/// <summary>
/// Throughput over the run: successful steps completed in each bucket of <see cref="BucketSeconds"/>,
/// and the p99 latency of those steps, so a plot shows warm-up, stalls and drift.
/// </summary>
internal sealed record Timeline(double BucketSeconds, IReadOnlyList<double> StepsPerSecond, IReadOnlyList<double> P99Ms)
{
    public static Timeline Empty { get; } = new(1, [], []);

    /// <param name="completions">(seconds since the start when the step completed, its latency in ms) for every successful step.</param>
    public static Timeline Of(IReadOnlyList<(double At, double LatencyMs)> completions, double seconds, int buckets = 20)
    {
        if (completions.Count == 0 || !(seconds > 0)) return Empty;
        // At most `buckets` buckets, none shorter than 100 ms; whole seconds once the run is long enough.
        var width = Math.Max(0.1, seconds / buckets);
        if (width > 1) width = Math.Ceiling(width);
        var n = Math.Max(1, (int)Math.Ceiling(seconds / width));
        var latencies = new List<double>[n];
        for (var i = 0; i < n; i++) latencies[i] = [];
        foreach (var (at, ms) in completions) latencies[Math.Clamp((int)(at / width), 0, n - 1)].Add(ms);
        // The last bucket may be cut short by the end of the run: divide by the time it covers.
        double Covered(int i) => seconds - i * width is var rest && rest > 0 ? Math.Min(width, rest) : width;
        return new Timeline(width,
            latencies.Select((l, i) => l.Count / Covered(i)).ToList(),
            latencies.Select(l => l.Count == 0 ? 0 : LatencySummary.Percentile([.. l.Order()], 99)).ToList());
    }
}
