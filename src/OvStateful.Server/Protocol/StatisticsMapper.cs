using Cs = OvStateful.Core.Serving;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Protocol;

/// <summary>Core's statistics as Triton's ModelStatistics message (statistics extension).</summary>
internal static class StatisticsMapper
{
    public static Proto.ModelStatistics ToProto(Cs.ModelStatistics s)
    {
        var p = new Proto.ModelStatistics
        {
            Name = s.Name,
            Version = s.Version,
            LastInference = s.LastInference,
            InferenceCount = s.InferenceCount,
            ExecutionCount = s.ExecutionCount,
            InferenceStats = new Proto.InferStatistics
            {
                Success = D(s.Success),
                Fail = D(s.Fail),
                Queue = D(s.Queue),
                ComputeInput = D(s.ComputeInput),
                ComputeInfer = D(s.ComputeInfer),
                ComputeOutput = D(s.ComputeOutput),
                CacheHit = new Proto.StatisticDuration(),
                CacheMiss = new Proto.StatisticDuration(),
            },
        };
        foreach (var b in s.BatchStats)
        {
            p.BatchStats.Add(new Proto.InferBatchStatistics
            {
                BatchSize = (ulong)Math.Max(0, b.BatchSize),
                ComputeInput = D(b.ComputeInput),
                ComputeInfer = D(b.ComputeInfer),
                ComputeOutput = D(b.ComputeOutput),
            });
        }
        return p;
    }

    private static Proto.StatisticDuration D(Cs.StatisticDuration d) => new() { Count = d.Count, Ns = d.Ns };
}
