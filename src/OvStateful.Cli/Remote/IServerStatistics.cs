using OvStateful.Cli.Workloads;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Cli.Remote;

/// <summary>A server's statistics extension for one model (Triton's ModelStatistics), read at the run's boundaries.</summary>
internal interface IServerStatistics
{
    /// <summary>The model's cumulative counters, summed over its versions; null when the server does not report them.</summary>
    Task<ServerCounters?> CountersAsync(string model, CancellationToken cancellationToken);
}

internal static class ServerStatistics
{
    /// <summary>Triton's ModelStatisticsResponse (HTTP JSON and gRPC carry the same message) summed over versions; null without any.</summary>
    public static ServerCounters? Counters(Proto.ModelStatisticsResponse response)
    {
        if (response.ModelStats.Count == 0) return null;
        ulong inferences = 0, executions = 0;
        PhaseTotal success = default, queue = default, input = default, infer = default, output = default;
        var batches = new Dictionary<int, ulong>();
        static PhaseTotal Add(PhaseTotal a, Proto.StatisticDuration? d) => d is null ? a : new(a.Count + d.Count, a.Ns + d.Ns);
        foreach (var m in response.ModelStats)
        {
            inferences += m.InferenceCount;
            executions += m.ExecutionCount;
            var s = m.InferenceStats;
            success = Add(success, s?.Success);
            queue = Add(queue, s?.Queue);
            input = Add(input, s?.ComputeInput);
            infer = Add(infer, s?.ComputeInfer);
            output = Add(output, s?.ComputeOutput);
            foreach (var b in m.BatchStats) batches[(int)b.BatchSize] = batches.GetValueOrDefault((int)b.BatchSize) + (b.ComputeInfer?.Count ?? 0);
        }
        return new ServerCounters(inferences, executions, success, queue, input, infer, output, batches);
    }
}
