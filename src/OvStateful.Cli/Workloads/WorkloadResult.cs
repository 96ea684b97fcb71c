namespace OvStateful.Cli.Workloads;

/// <summary>What one streaming workload measured.</summary>
internal sealed record WorkloadResult
{
    public required int Clients { get; init; }
    public required long Sequences { get; init; }
    public required long StepsSent { get; init; }
    public required long StepsOk { get; init; }
    public long StepsFailed => StepsSent - StepsOk;
    /// <summary>Failed steps by kind ("InvalidArgument", "http 400", "transport", ...).</summary>
    public required IReadOnlyDictionary<string, long> ErrorsByKind { get; init; }
    public string? FirstError { get; init; }
    public required double Seconds { get; init; }
    public double StepsPerSecond => Seconds > 0 ? StepsOk / Seconds : 0;
    public required LatencySummary Latency { get; init; }
    public required MemorySummary Memory { get; init; }
    public Timeline Timeline { get; init; } = Timeline.Empty;
    /// <summary>Ctrl+C stopped the run: the figures cover the steps answered until then, and every sequence that had started was sent its END.</summary>
    public bool Cancelled { get; init; }
    /// <summary>The measurement windows and the figures over all of them; null when measured in one pass (<see cref="MeasurementMode.Once"/>, --duration).</summary>
    public WindowedFigures? Windowed { get; init; }
    /// <summary>Request-rate mode: the rate asked for (steps/s); null in concurrency mode.</summary>
    public double? RequestRate { get; init; }
    /// <summary>Request-rate mode: steps sent more than 2 ms after their turn because every sequence was busy.</summary>
    public long DelayedSteps { get; init; }
    /// <summary>Null unless <see cref="WorkloadSettings.RecordOutputs"/>.</summary>
    public RecordedOutputs? Outputs { get; init; }
}
