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

    /// <summary>Send ids as strings ("seq-N") for models whose CORRID is TYPE_STRING.</summary>
    public bool StringIds { get; init; }

    /// <summary>Keep every step's outputs (for --verify and compare).</summary>
    public bool RecordOutputs { get; init; }

    /// <summary>Windows and stability (perf_analyzer's); <see cref="MeasurementPlan.Once"/> plays each sequence once and counts every step. Ignored with <see cref="Duration"/>.</summary>
    public MeasurementPlan Measurement { get; init; } = MeasurementPlan.Once;

    /// <summary>Stop a sequence after its first failed step (its state is no longer meaningful).</summary>
    public bool StopSequenceOnError { get; init; } = true;
}
