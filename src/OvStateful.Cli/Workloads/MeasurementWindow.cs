namespace OvStateful.Cli.Workloads;

/// <summary>One measurement window: the successful steps that completed in it, and their latency.</summary>
/// <param name="StartSeconds">When it opened, in seconds since the run started (after the warm-up).</param>
internal sealed record MeasurementWindow(int Index, double StartSeconds, double Seconds, long Steps, double StepsPerSecond, LatencySummary Latency);

/// <summary>
/// What the windows say: the figures of all the windows measured after the warm-up together
/// (throughput = their steps over their time; latency percentiles over all their steps), each
/// with its spread over those windows (min–max), and whether the last three agreed within the
/// stability percentage. All windows, not only the last three: this machine's speed drifts by
/// ±10% over tens of seconds within one process (bench/README.md), so the last three windows'
/// narrow range (6 s) did not hold the next run's throughput; the range over every window does.
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
    /// <summary>
    /// Several processes' windows together (run --repeats, compare's rounds): how many processes;
    /// null for one process's windows. The machine's speed drifts more between processes than
    /// within one, so only these ranges sample that drift.
    /// </summary>
    public int? Processes { get; init; }

    /// <summary>With <see cref="Processes"/>: how many of them were unstable by their own windows.</summary>
    public int? UnstableProcesses { get; init; }

    /// <summary>With <see cref="Processes"/>: the processes' throughputs' max/min − 1, in percent; above <see cref="StabilityPercent"/> the whole is unstable.</summary>
    public double? BetweenProcessesPercent { get; init; }

    /// <summary>"stable: the last 3 windows agree within 10%" or "unstable: ... after 10 windows"; across processes, why it is (un)stable.</summary>
    public string Verdict => Processes is { } n ? VerdictAcross(n) : Stable
        ? $"stable: the last {MeasurementPlan.StableWindows} windows agree within {StabilityPercent:0.#}%"
        : $"unstable: throughput or {LatencySummary.NameOf(Percentile)} latency of the last {MeasurementPlan.StableWindows} windows differ by more than {StabilityPercent:0.#}% after {Windows.Count} windows";

    /// <summary>What the windows are: "7 windows after 1 s of warm-up", "15 windows in 3 processes, each after 1 s of warm-up".</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Extent => Processes is { } n
        ? $"{Windows.Count} windows in {n} processes, each after {WarmupSeconds:0.#} s of warm-up"
        : $"{Windows.Count} windows after {WarmupSeconds:0.#} s of warm-up";

    /// <summary>What the ranges span, for tables and the JSON: "min–max over all 7 windows after 1 s of warm-up".</summary>
    public string Spread => $"min–max over all {Extent}";

    private string VerdictAcross(int n)
    {
        var between = BetweenProcessesPercent ?? 0;
        if (Stable)
            return $"stable: in each of the {n} processes the last {MeasurementPlan.StableWindows} windows agree within {StabilityPercent:0.#}%, " +
                   $"and the processes' throughputs within {between:0.#}% of each other";
        var why = new List<string>();
        if (UnstableProcesses is > 0 and var u) why.Add($"{u} of the {n} processes unstable by their own windows");
        if (between > StabilityPercent) why.Add($"throughput differs by {between:0.#}% between processes (more than {StabilityPercent:0.#}%)");
        return "unstable: " + string.Join("; ", why);
    }

    /// <summary>
    /// Several processes' windowed figures as one: each figure the mean of the processes' (each
    /// process weighs the same, however many windows it measured), each range the min–max over
    /// every window of every process; stable only when every process was and their throughputs
    /// agree within the stability percentage.
    /// </summary>
    public static WindowedFigures Across(IReadOnlyList<WindowedFigures> processes)
    {
        var first = processes[0];
        var between = SpreadPercent(processes.Min(p => p.StepsPerSecond), processes.Max(p => p.StepsPerSecond));
        var unstable = processes.Count(p => !p.Stable);
        return new WindowedFigures([.. processes.SelectMany(p => p.Windows)], unstable == 0 && between <= first.StabilityPercent, first.StabilityPercent, first.WarmupSeconds,
            processes.Average(p => p.StepsPerSecond), processes.Min(p => p.StepsPerSecondMin), processes.Max(p => p.StepsPerSecondMax),
            LatencySummary.Mean([.. processes.Select(p => p.Latency)]), processes.Min(p => p.P50MinMs), processes.Max(p => p.P50MaxMs),
            processes.Min(p => p.P99MinMs), processes.Max(p => p.P99MaxMs), first.Percentile, processes.Min(p => p.LatencyMinMs), processes.Max(p => p.LatencyMaxMs))
        {
            Processes = processes.Count,
            UnstableProcesses = unstable,
            BetweenProcessesPercent = between,
        };
    }

    /// <summary>max/min − 1, in percent (0 when min is 0 and max too).</summary>
    public static double SpreadPercent(double min, double max) => max <= 0 ? 0 : min <= 0 ? double.PositiveInfinity : (max / min - 1) * 100;

    /// <summary>Whether the last <see cref="MeasurementPlan.StableWindows"/> windows agree within the plan's stability percentage (throughput and the judged percentile).</summary>
    public static bool LastAgree(IReadOnlyList<MeasurementWindow> windows, MeasurementPlan plan)
    {
        if (windows.Count < MeasurementPlan.StableWindows) return false;
        var last = windows.Skip(windows.Count - MeasurementPlan.StableWindows).ToList();
        return SpreadPercent(last.Min(w => w.StepsPerSecond), last.Max(w => w.StepsPerSecond)) <= plan.StabilityPercent
            && SpreadPercent(last.Min(w => w.Latency.StabilityMs), last.Max(w => w.Latency.StabilityMs)) <= plan.StabilityPercent;
    }

    /// <param name="latencies">Latencies (ms) of all the windows' steps, in any order; sorted here.</param>
    public static WindowedFigures From(IReadOnlyList<MeasurementWindow> windows, double[] latencies, MeasurementPlan plan)
    {
        var seconds = windows.Sum(w => w.Seconds);
        var steps = windows.Sum(w => w.Steps);
        double Min(Func<MeasurementWindow, double> f) => windows.Count == 0 ? 0 : windows.Min(f);
        double Max(Func<MeasurementWindow, double> f) => windows.Count == 0 ? 0 : windows.Max(f);
        var stable = LastAgree(windows, plan);
        return new WindowedFigures(windows, stable, plan.StabilityPercent, plan.WarmupSeconds,
            seconds > 0 ? steps / seconds : 0, Min(w => w.StepsPerSecond), Max(w => w.StepsPerSecond),
            LatencySummary.Of(latencies, plan.Percentile), Min(w => w.Latency.P50Ms), Max(w => w.Latency.P50Ms), Min(w => w.Latency.P99Ms), Max(w => w.Latency.P99Ms),
            plan.Percentile, Min(w => w.Latency.StabilityMs), Max(w => w.Latency.StabilityMs));
    }
}
