using OvStateful.Cli.Workloads;

namespace OvStateful.Cli.Reports;

/// <summary>
/// One engine measured several times, each time in a process of its own (compare's rounds,
/// run's --repeats), as one report: throughput and latency the means of the rounds' figures
/// (each round weighs the same), their ranges over every window of every round (so they sample
/// the drift between processes, which is larger than within one), each round's figures kept in
/// <see cref="MeasurementReport.RoundFigures"/>; steps, errors and batches summed, memory the
/// largest peak. Stable only when every round was and the rounds' throughputs agree within the
/// stability percentage (<see cref="WindowedFigures.Across"/>).
/// </summary>
internal static class RoundCombiner
{
    /// <param name="rounds">Each round's report, in round order; at least one, all measured the same way.</param>
    public static MeasurementReport Combine(IReadOnlyList<MeasurementReport> rounds)
    {
        var first = rounds[0];
        if (rounds.Count == 1) return first with { RoundFigures = [RoundFigures.From(first)] };
        var figures = rounds.Select(RoundFigures.From).ToList();
        var windowed = rounds.All(r => r.Measurement is not null) ? WindowedFigures.Across([.. rounds.Select(r => r.Measurement!)]) : null;
        var servers = rounds.Select(r => r.Server).OfType<ServerSideReport>().ToList();
        return first with
        {
            Sequences = rounds.Sum(r => r.Sequences),
            StepsSent = rounds.Sum(r => r.StepsSent),
            StepsOk = rounds.Sum(r => r.StepsOk),
            StepsFailed = rounds.Sum(r => r.StepsFailed),
            ErrorsByKind = rounds.SelectMany(r => r.ErrorsByKind).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value)),
            FirstError = rounds.Select(r => r.FirstError).FirstOrDefault(e => e is not null),
            Seconds = rounds.Sum(r => r.Seconds),
            StepsPerSecond = figures.Average(f => f.StepsPerSecond),
            LatencyMs = LatencySummary.Mean([.. rounds.Select(r => r.LatencyMs)]),
            Measurement = windowed,
            Batches = BatchSizeReport.Sum(rounds.Select(r => r.Batches)),
            Memory = rounds.Select(r => r.Memory).Where(m => m is not null).MaxBy(m => m!.PeakWorkingSetBytes),
            Spill = rounds.All(r => r.Spill is null) ? null
                : new SpillCounts(rounds.Aggregate(0UL, (n, r) => n + (r.Spill?.Spilled ?? 0)), rounds.Aggregate(0UL, (n, r) => n + (r.Spill?.Restored ?? 0))),
            DelayedSteps = rounds.Sum(r => r.DelayedSteps),
            Server = servers.Count == rounds.Count ? ServerSideReport.Mean(servers) : null,
            // A timeline is one process's time axis; each round's own JSON keeps its own.
            Timeline = null,
            RoundFigures = figures,
        };
    }
}
