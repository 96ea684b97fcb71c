namespace OvStateful.Cli.Workloads;

/// <summary>How a streaming workload runs.</summary>
internal sealed record WorkloadSettings
{
    /// <summary>Concurrent sequence clients (≥ 1).</summary>
    public required int Clients { get; init; }

    /// <summary>
    /// When set, each client keeps starting new sequences until this much time has passed
    /// (the step after the deadline is sent as the sequence's END). When null, client c runs
    /// source sequence c once.
    /// </summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>Correlation id of the first sequence; each further sequence takes the next number.</summary>
    public ulong FirstSequenceId { get; init; } = 1;

    /// <summary>Ids wrap before this one (exclusive, perf_analyzer's --sequence-id-range start:end); null: no bound.</summary>
    public ulong? SequenceIdEnd { get; init; }

    /// <summary>Request-rate mode: steps released at this many per second over <see cref="Clients"/> sequences (perf_analyzer's --request-rate-range); null: each client sends as soon as its previous step answered.</summary>
    public double? RequestRate { get; init; }

    /// <summary>With <see cref="RequestRate"/>: exponential gaps (Poisson arrivals) instead of constant ones.</summary>
    public bool PoissonArrivals { get; init; }

    /// <summary>Seeds the Poisson gaps.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>
    /// Called when the first measurement window opens and after each window closes (windowed
    /// runs only), e.g. to read the server's statistics at the window boundaries.
    /// </summary>
    public Func<CancellationToken, Task>? OnWindowBoundary { get; init; }

    /// <summary>Send ids as strings ("seq-N") for models whose CORRID is TYPE_STRING.</summary>
    public bool StringIds { get; init; }

    /// <summary>Keep every step's outputs (for --verify and compare).</summary>
    public bool RecordOutputs { get; init; }

    /// <summary>Windows and stability (perf_analyzer's); <see cref="MeasurementPlan.Once"/> plays each sequence once and counts every step. Ignored with <see cref="Duration"/>.</summary>
    public MeasurementPlan Measurement { get; init; } = MeasurementPlan.Once;

    /// <summary>Stop a sequence after its first failed step (its state is no longer meaningful).</summary>
    public bool StopSequenceOnError { get; init; } = true;
}
