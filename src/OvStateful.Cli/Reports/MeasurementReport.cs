using OvStateful.Cli.Workloads;

namespace OvStateful.Cli.Reports;

/// <summary>
/// One measured run as it goes into JSON and CSV (run, compare and bench share it), so the
/// files of all three commands read alike.
/// </summary>
internal sealed record MeasurementReport
{
    public required string Engine { get; init; }
    public string? EngineName { get; init; }
    public bool Available { get; init; } = true;
    public string? Reason { get; init; }
    public int Clients { get; init; }
    public long Sequences { get; init; }
    public long StepsSent { get; init; }
    public long StepsOk { get; init; }
    public long StepsFailed { get; init; }
    public IReadOnlyDictionary<string, long> ErrorsByKind { get; init; } = new Dictionary<string, long>();
    public string? FirstError { get; init; }
    public double Seconds { get; init; }
    public double StepsPerSecond { get; init; }
    public LatencySummary LatencyMs { get; init; } = LatencySummary.Empty;
    public BatchSizeReport? Batches { get; init; }
    public MemorySummary? Memory { get; init; }
    public SpillCounts? Spill { get; init; }
    /// <summary>Throughput and p99 per time bucket (not in the CSV, which has one row per run).</summary>
    public Timeline? Timeline { get; init; }
    /// <summary>compare: against the first available engine; run: against the solo replay (--verify).</summary>
    public DifferenceReport? Difference { get; init; }
    /// <summary>The windows and their verdict; then <see cref="StepsPerSecond"/> and <see cref="LatencyMs"/> are the figures over all the windows. Null for one-pass runs.</summary>
    public WindowedFigures? Measurement { get; init; }
    /// <summary>compare's rounds, run's --repeats: each one's throughput (with its window extremes) and latency, in order; the row's figures are their means (<see cref="RoundCombiner"/>).</summary>
    public IReadOnlyList<RoundFigures>? RoundFigures { get; init; }
    /// <summary>compare: throughput against the first engine, with its interval.</summary>
    public ThroughputRatio? RatioToFirst { get; init; }
    /// <summary>Request-rate mode: the rate asked for (steps/s); null in concurrency mode.</summary>
    public double? RequestRate { get; init; }
    /// <summary>Request-rate mode: steps sent more than 2 ms late because every sequence was busy.</summary>
    public long DelayedSteps { get; init; }
    /// <summary>Where the time went on the server, per request, over the same windows (statistics extension); null when not read.</summary>
    public ServerSideReport? Server { get; init; }
    /// <summary>"stable", "unstable" or "one pass" (no windows): how far the figures can be trusted.</summary>
    public string Stability => Measurement is null ? "one pass" : Measurement.Stable ? "stable" : "unstable";

    public static MeasurementReport From(EngineMeasurement m, OutputDifference? difference = null, string? against = null)
    {
        if (m.Result is not { } r) return new MeasurementReport { Engine = m.Engine, Available = false, Reason = m.Unavailable };
        return From(m.Engine, r) with
        {
            EngineName = m.EngineName,
            Batches = BatchSizeReport.From(m.Batches),
            Spill = m.Spill,
            Server = m.Server,
            Difference = difference is null ? null : DifferenceReport.From(difference, against!),
        };
    }

    public static MeasurementReport From(string engine, WorkloadResult r) => new()
    {
        Engine = engine,
        Clients = r.Clients,
        Sequences = r.Sequences,
        StepsSent = r.StepsSent,
        StepsOk = r.StepsOk,
        StepsFailed = r.StepsFailed,
        ErrorsByKind = r.ErrorsByKind,
        FirstError = r.FirstError,
        Seconds = r.Seconds,
        StepsPerSecond = r.Windowed?.StepsPerSecond ?? r.StepsPerSecond,
        LatencyMs = r.Windowed?.Latency ?? r.Latency,
        Measurement = r.Windowed,
        Memory = r.Memory,
        Timeline = r.Timeline,
        RequestRate = r.RequestRate,
        DelayedSteps = r.DelayedSteps,
    };
}

/// <param name="Histogram">Batch size → executions (keys are strings so the JSON is an object).</param>
internal sealed record BatchSizeReport(IReadOnlyDictionary<string, ulong> Histogram, ulong Executions, double Mean)
{
    public static BatchSizeReport From(BatchSizes b) =>
        new(b.Histogram.ToDictionary(kv => kv.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), kv => kv.Value), b.Executions, b.Mean);

    /// <summary>The executions per batch size as the workload counts them (for printing).</summary>
    public BatchSizes ToSizes() =>
        BatchSizes.Between(new Dictionary<int, ulong>(), Histogram.ToDictionary(kv => int.Parse(kv.Key, System.Globalization.CultureInfo.InvariantCulture), kv => kv.Value));

    /// <summary>Several runs' executions together, size by size; null when none had any.</summary>
    public static BatchSizeReport? Sum(IEnumerable<BatchSizeReport?> reports)
    {
        var histogram = new Dictionary<int, ulong>();
        var any = false;
        foreach (var r in reports.OfType<BatchSizeReport>())
        {
            any = true;
            foreach (var (size, n) in r.ToSizes().Histogram) histogram[size] = histogram.GetValueOrDefault(size) + n;
        }
        return any ? From(BatchSizes.Between(new Dictionary<int, ulong>(), histogram)) : null;
    }
}

internal sealed record DifferenceReport(string Against, double MaxAbsolute, double MaxRelative, long ValuesCompared, long StepsCompared, string? Worst)
{
    public static DifferenceReport From(OutputDifference d, string against) =>
        new(against, d.MaxAbsolute, d.MaxRelative, d.ValuesCompared, d.StepsCompared, d.Worst);
}
