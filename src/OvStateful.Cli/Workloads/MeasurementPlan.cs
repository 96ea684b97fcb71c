namespace OvStateful.Cli.Workloads;

/// <summary>How a run is measured (perf_analyzer's measurement options).</summary>
internal enum MeasurementMode
{
    /// <summary>Windows of <see cref="MeasurementPlan.IntervalMs"/> milliseconds (perf_analyzer's time_windows, the default).</summary>
    TimeWindows,
    /// <summary>Windows of at least <see cref="MeasurementPlan.RequestCount"/> steps and 1 s (perf_analyzer's count_windows).</summary>
    CountWindows,
    /// <summary>One pass, no windows: each client plays its sequence once and every step counts (ours: exact step counts for tests and --verify-style checks).</summary>
    Once,
}

/// <summary>
/// Warm-up, then at least <see cref="MinWindows"/> measurement windows, until the last <see cref="StableWindows"/> agree: their
/// throughput and <see cref="Percentile"/> latency (p99 unless asked otherwise) each within <see cref="StabilityPercent"/> (max / min − 1, as
/// perf_analyzer checks), or <see cref="MaxTrials"/> windows were measured (then the result is
/// "unstable"). The figures reported are those of all the windows together, with the spread
/// (min–max) over them (<see cref="WindowedFigures"/> says why all).
/// </summary>
internal sealed record MeasurementPlan
{
    public const int StableWindows = 3;

    public MeasurementMode Mode { get; init; } = MeasurementMode.TimeWindows;

    /// <summary>Seconds of load before the first window, not counted (JIT, caches, batch sizes settling); ≥ 0.</summary>
    public double WarmupSeconds { get; init; } = 1;

    /// <summary>Length of a time window in milliseconds (perf_analyzer --measurement-interval, whose default is 5000); ≥ 100.</summary>
    public int IntervalMs { get; init; } = 2000;

    /// <summary>Steps a count window holds at least (perf_analyzer --measurement-request-count, default 50); ≥ 1.</summary>
    public int RequestCount { get; init; } = 50;

    /// <summary>Largest max/min − 1 of the last three windows' throughput and p99, in percent (perf_analyzer --stability-percentage).</summary>
    public double StabilityPercent { get; init; } = 10;

    /// <summary>
    /// The latency percentile stability is judged on and reported beside the usual ones
    /// (perf_analyzer --percentile); −1 is the mean, perf_analyzer's default. Ours defaults to 99.
    /// </summary>
    public double Percentile { get; init; } = 99;

    /// <summary>
    /// Fewest windows measured even when the last three agree sooner (ours; perf_analyzer stops at
    /// the first stable three); 3 ≤ MinWindows ≤ <see cref="MaxTrials"/>. Five windows of 2 s
    /// sample the drift of a shared machine's speed over 10 s, so the reported range is wide
    /// enough to hold another run's throughput (bench/README.md, "ovs run, five times").
    /// </summary>
    public int MinWindows { get; init; } = 5;

    /// <summary>Most windows before giving up as unstable (perf_analyzer --max-trials); ≥ 3.</summary>
    public int MaxTrials { get; init; } = 10;

    public static MeasurementPlan Once { get; } = new() { Mode = MeasurementMode.Once, WarmupSeconds = 0 };
}
