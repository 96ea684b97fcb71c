namespace OvStateful.Cli.Workloads;

/// <summary>One measurement window: the successful steps that completed in it, and their latency.</summary>
/// <param name="StartSeconds">When it opened, in seconds since the run started (after the warm-up).</param>
internal sealed record MeasurementWindow(int Index, double StartSeconds, double Seconds, long Steps, double StepsPerSecond, LatencySummary Latency);

/// <summary>
/// What the windows say: the figures of the last three together (throughput = their steps over
/// their time; latency percentiles over all their steps), each with its spread over those
/// windows (min–max), and whether they agreed within the stability percentage.
/// </summary>
/// <param name="Percentile">The latency percentile stability was judged on (−1: the mean); its spread is <paramref name="LatencyMinMs"/>–<paramref name="LatencyMaxMs"/>.</param>
internal sealed record WindowedFigures(
    IReadOnlyList<MeasurementWindow> Windows,
    bool Stable,
    double StabilityPercent,
    double WarmupSeconds,
    double StepsPerSecond,
    double StepsPerSecondMin,
    double StepsPerSecondMax,
    LatencySummary Latency,
    double P50MinMs,
    double P50MaxMs,
    double P99MinMs,
    double P99MaxMs,
    double Percentile,
    double LatencyMinMs,
    double LatencyMaxMs)
{
    /// <summary>"stable (3 windows within 10%)" or "unstable: ... after 10 windows".</summary>
    public string Verdict => Stable
        ? $"stable: the last {MeasurementPlan.StableWindows} windows agree within {StabilityPercent:0.#}%"
        : $"unstable: throughput or {LatencySummary.NameOf(Percentile)} latency of the last {MeasurementPlan.StableWindows} windows differ by more than {StabilityPercent:0.#}% after {Windows.Count} windows";

    /// <summary>max/min − 1, in percent (0 when min is 0 and max too).</summary>
    public static double SpreadPercent(double min, double max) => max <= 0 ? 0 : min <= 0 ? double.PositiveInfinity : (max / min - 1) * 100;

    /// <param name="latencies">Latencies (ms) of the last windows' steps, in any order; sorted here.</param>
    public static WindowedFigures From(IReadOnlyList<MeasurementWindow> windows, double[] latencies, MeasurementPlan plan)
    {
        var last = windows.Skip(Math.Max(0, windows.Count - MeasurementPlan.StableWindows)).ToList();
        var seconds = last.Sum(w => w.Seconds);
        var steps = last.Sum(w => w.Steps);
        double Min(Func<MeasurementWindow, double> f) => last.Count == 0 ? 0 : last.Min(f);
        double Max(Func<MeasurementWindow, double> f) => last.Count == 0 ? 0 : last.Max(f);
        var stable = last.Count == MeasurementPlan.StableWindows
            && SpreadPercent(Min(w => w.StepsPerSecond), Max(w => w.StepsPerSecond)) <= plan.StabilityPercent
            && SpreadPercent(Min(w => w.Latency.StabilityMs), Max(w => w.Latency.StabilityMs)) <= plan.StabilityPercent;
        return new WindowedFigures(windows, stable, plan.StabilityPercent, plan.WarmupSeconds,
            seconds > 0 ? steps / seconds : 0, Min(w => w.StepsPerSecond), Max(w => w.StepsPerSecond),
            LatencySummary.Of(latencies, plan.Percentile), Min(w => w.Latency.P50Ms), Max(w => w.Latency.P50Ms), Min(w => w.Latency.P99Ms), Max(w => w.Latency.P99Ms),
            plan.Percentile, Min(w => w.Latency.StabilityMs), Max(w => w.Latency.StabilityMs));
    }
}
