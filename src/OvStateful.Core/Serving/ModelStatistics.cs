namespace OvStateful.Core.Serving;

/// <summary>Count and total time of one kind of event (Triton's StatisticDuration).</summary>
public readonly record struct StatisticDuration(ulong Count, ulong Ns);

/// <summary>Per batch size: how often it ran and how long each phase took (Triton's InferBatchStatistics).</summary>
public sealed record BatchStatistics(int BatchSize, StatisticDuration ComputeInput, StatisticDuration ComputeInfer, StatisticDuration ComputeOutput);

/// <summary>
/// Recent latencies in nanoseconds at each of <see cref="LatencyWindow.Quantiles"/> (empty arrays
/// when nothing was recorded): requests, queue, and the compute phases of each execution.
/// </summary>
public sealed record LatencyQuantiles(double[] Request, double[] Queue, double[] ComputeInput, double[] ComputeInfer, double[] ComputeOutput)
{
    public static readonly LatencyQuantiles None = new([], [], [], [], []);
}

/// <summary>
/// A model version's statistics with Triton's field meanings (statistics extension), plus
/// the sequence counters OvStateful adds.
/// </summary>
public sealed record ModelStatistics
{
    public required string Name { get; init; }
    public required string Version { get; init; }
    /// <summary>Unix epoch milliseconds of the last inference; 0 if none.</summary>
    public ulong LastInference { get; init; }
    /// <summary>Requests inferred (batch entries, not batches).</summary>
    public ulong InferenceCount { get; init; }
    /// <summary>Engine executions (batches).</summary>
    public ulong ExecutionCount { get; init; }
    public StatisticDuration Success { get; init; }
    public StatisticDuration Fail { get; init; }
    public StatisticDuration Queue { get; init; }
    /// <summary>
    /// Per inferred request, as Triton counts them: each request adds its whole batch's phase
    /// time, so Ns / Count is a request's time in the phase (perf_analyzer's server breakdown).
    /// <see cref="BatchStats"/> counts executions instead.
    /// </summary>
    public StatisticDuration ComputeInput { get; init; }
    /// <summary>As <see cref="ComputeInput"/>: per inferred request.</summary>
    public StatisticDuration ComputeInfer { get; init; }
    /// <summary>As <see cref="ComputeInput"/>: per inferred request.</summary>
    public StatisticDuration ComputeOutput { get; init; }
    public IReadOnlyList<BatchStatistics> BatchStats { get; init; } = [];

    /// <summary>Requests queued and not yet executing (Triton's nv_inference_pending_request_count).</summary>
    public long PendingRequests { get; init; }

    /// <summary>Quantiles of the latest latencies (Triton's latency summaries).</summary>
    public LatencyQuantiles Latencies { get; init; } = LatencyQuantiles.None;

    // Sequences (ours).
    public long ActiveSequences { get; init; }
    public long BackloggedSequences { get; init; }
    public long SpilledSequences { get; init; }
    public long SpilledBytes { get; init; }
    public int SlotCount { get; init; }
    public int SlotsInUse { get; init; }
    /// <summary>SlotsInUse / SlotCount (0 when there are no slots).</summary>
    public double SlotUtilization => SlotCount == 0 ? 0 : (double)SlotsInUse / SlotCount;
    /// <summary>Sequences whose state was exported to host memory (cumulative).</summary>
    public ulong SpillCount { get; init; }
    /// <summary>Spilled states imported back into a slot (cumulative); hand-overs are not counted here.</summary>
    public ulong RestoreCount { get; init; }
    /// <summary>Sequences taken out with their state to continue in another batcher (SequenceBatcher.DetachAsync: a cluster's drain, and with --cluster-persist each step's snapshot), cumulative; not counted as spills.</summary>
    public ulong HandOverCount { get; init; }
    /// <summary>Sequences taken in from another batcher (SequenceBatcher.Adopt), cumulative; their first import is not counted as a restore.</summary>
    public ulong AdoptCount { get; init; }
    /// <summary>Sequences released by max_sequence_idle_microseconds (cumulative).</summary>
    public ulong ExpiredSequences { get; init; }
    /// <summary>Queued steps cancelled by their client before they ran (cumulative).</summary>
    public ulong CancelledCount { get; init; }
}
