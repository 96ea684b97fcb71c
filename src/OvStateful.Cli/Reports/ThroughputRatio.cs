using System.Globalization;

namespace OvStateful.Cli.Reports;

/// <summary>One compare round of one engine: its throughput with the slowest and fastest of its measured windows, and its latency.</summary>
internal sealed record RoundFigures(double StepsPerSecond, double StepsPerSecondMin, double StepsPerSecondMax, double P50Ms, double P99Ms)
{
    public static RoundFigures From(MeasurementReport r) => r.Measurement is { } w
        ? new(w.StepsPerSecond, w.StepsPerSecondMin, w.StepsPerSecondMax, w.Latency.P50Ms, w.Latency.P99Ms)
        : new(r.StepsPerSecond, r.StepsPerSecond, r.StepsPerSecond, r.LatencyMs.P50Ms, r.LatencyMs.P99Ms);
}

/// <summary>
/// An engine's throughput over the reference engine's. Rounds pair up (round r of each, run
/// back to back); the ratio is the mean of the rounds' ratios. Its interval covers both kinds
/// of noise: the window extremes (this engine's slowest window over the reference's fastest,
/// and the other way round, over all rounds) and, with two rounds or more, the 95% confidence
/// interval of the mean log ratio over the rounds (Student's t), which catches a round-to-round
/// drift the windows of one round cannot show. An interval that holds 1.0 is no measurable
/// difference: the two differ less than the measurement varies.
/// </summary>
internal sealed record ThroughputRatio(string Against, double Ratio, double Low, double High)
{
    public bool Measurable => !(Low <= 1 && High >= 1);

    public string Text => Measurable
        ? string.Create(CultureInfo.InvariantCulture, $"{Ratio:F2}× ({IntervalText})")
        : $"no measurable difference ({IntervalText})";

    /// <summary>"0.95–1.04"; an end beyond 100× (too few rounds to bound it) as "&gt;100".</summary>
    public string IntervalText => $"{End(Low)}–{End(High)}";

    private static string End(double v) => v > 100 ? ">100" : v.ToString("F2", CultureInfo.InvariantCulture);

    public static ThroughputRatio Between(IReadOnlyList<RoundFigures> engine, IReadOnlyList<RoundFigures> reference, string against)
    {
        var n = Math.Min(engine.Count, reference.Count);
        if (n == 0) return new ThroughputRatio(against, 0, 0, 0);
        double low = double.PositiveInfinity, high = 0;
        var logs = new double[n];
        for (var r = 0; r < n; r++)
        {
            var (e, f) = (engine[r], reference[r]);
            logs[r] = e.StepsPerSecond > 0 && f.StepsPerSecond > 0 ? Math.Log(e.StepsPerSecond / f.StepsPerSecond) : 0;
            low = Math.Min(low, f.StepsPerSecondMax > 0 ? e.StepsPerSecondMin / f.StepsPerSecondMax : 0);
            high = Math.Max(high, f.StepsPerSecondMin > 0 ? e.StepsPerSecondMax / f.StepsPerSecondMin : double.PositiveInfinity);
        }
        var ratio = Enumerable.Range(0, n).Average(r => reference[r].StepsPerSecond > 0 ? engine[r].StepsPerSecond / reference[r].StepsPerSecond : 0);
        if (n >= 2)
        {
            var mean = logs.Average();
            var sd = Math.Sqrt(logs.Sum(x => (x - mean) * (x - mean)) / (n - 1));
            var half = StudentT975(n - 1) * sd / Math.Sqrt(n);
            low = Math.Min(low, Math.Exp(mean - half));
            high = Math.Max(high, Math.Exp(mean + half));
        }
        return new ThroughputRatio(against, ratio, low, high);
    }

    /// <summary>The 97.5% quantile of Student's t with <paramref name="df"/> degrees of freedom (two-sided 95%).</summary>
    public static double StudentT975(int df) => df switch
    {
        <= 0 => double.PositiveInfinity,
        1 => 12.706, 2 => 4.303, 3 => 3.182, 4 => 2.776, 5 => 2.571, 6 => 2.447, 7 => 2.365, 8 => 2.306, 9 => 2.262,
        10 => 2.228, <= 15 => 2.131, <= 20 => 2.086, <= 30 => 2.042, _ => 1.96,
    };
}
