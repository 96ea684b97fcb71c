using OvStateful.Core.Serving;

namespace OvStateful.Cli.Workloads;

/// <summary>Count and total nanoseconds of one phase (Triton's StatisticDuration).</summary>
internal readonly record struct PhaseTotal(ulong Count, ulong Ns)
{
    public PhaseTotal Minus(PhaseTotal before) => new(Count - Math.Min(Count, before.Count), Ns - Math.Min(Ns, before.Ns));

    /// <summary>Mean per count in microseconds; 0 when nothing was counted.</summary>
    public double MeanUs => Count == 0 ? 0 : Ns / 1000.0 / Count;
}

/// <summary>
/// A model's cumulative server-side counters at one moment, as the statistics extension gives
/// them (HTTP <c>GET /v2/models/M/stats</c>, gRPC <c>ModelStatistics</c>, or in process):
/// requests, executions, and the time requests spent queued and in each compute phase. Two
/// readings subtract to what happened between them.
/// </summary>
internal sealed record ServerCounters(ulong InferenceCount, ulong ExecutionCount, PhaseTotal Success, PhaseTotal Queue,
    PhaseTotal ComputeInput, PhaseTotal ComputeInfer, PhaseTotal ComputeOutput, IReadOnlyDictionary<int, ulong> BatchExecutions)
{
    public static ServerCounters From(ModelStatistics s) => new(s.InferenceCount, s.ExecutionCount, P(s.Success), P(s.Queue),
        P(s.ComputeInput), P(s.ComputeInfer), P(s.ComputeOutput), s.BatchStats.ToDictionary(b => b.BatchSize, b => b.ComputeInfer.Count));

    private static PhaseTotal P(StatisticDuration d) => new(d.Count, d.Ns);

    public ServerCounters Minus(ServerCounters before) => new(
        InferenceCount - Math.Min(InferenceCount, before.InferenceCount), ExecutionCount - Math.Min(ExecutionCount, before.ExecutionCount),
        Success.Minus(before.Success), Queue.Minus(before.Queue), ComputeInput.Minus(before.ComputeInput), ComputeInfer.Minus(before.ComputeInfer),
        ComputeOutput.Minus(before.ComputeOutput), BatchExecutions);

    /// <summary>The batches formed between two readings.</summary>
    public BatchSizes BatchesSince(ServerCounters before) => BatchSizes.Between(before.BatchExecutions, BatchExecutions);
}

/// <summary>
/// Reads a model's server counters at the run's boundaries: before and after a one-pass run, or
/// when the first window opens and after each window closes, so the server-side figures cover
/// the same windows as the client's (all of them).
/// </summary>
internal sealed class ServerProbe(Func<CancellationToken, Task<ServerCounters?>> read)
{
    // Readings in order; an unreadable one is null.
    private readonly List<ServerCounters?> _readings = [];

    public async Task ReadAsync(CancellationToken cancellationToken) => _readings.Add(await read(cancellationToken).ConfigureAwait(false));

    public void Clear() => _readings.Clear();

    /// <summary>
    /// What happened over the last <paramref name="windows"/> intervals between readings (all of
    /// them when fewer were read), with the batches formed; null when a reading is missing.
    /// </summary>
    public (ServerCounters Delta, BatchSizes Batches)? Last(int windows)
    {
        if (_readings.Count < 2) return null;
        var after = _readings[^1];
        var before = _readings[Math.Max(0, _readings.Count - 1 - windows)];
        return after is null || before is null ? null : (after.Minus(before), after.BatchesSince(before));
    }
}
