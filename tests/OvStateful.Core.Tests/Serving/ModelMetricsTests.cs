using OvStateful.Core.Serving;

namespace OvStateful.Core.Tests.Serving;

public class ModelMetricsTests
{
    /// <summary>
    /// Triton's inference_stats count compute phases per request (each request adds its batch's
    /// time), batch_stats per execution; perf_analyzer divides the former by the request count.
    /// </summary>
    [Fact]
    public void Compute_phases_count_per_request_and_batch_stats_per_execution()
    {
        var m = new ModelMetrics("m", "1", maxBatchSize: 8);
        m.RecordBatch(size: 4, inferred: 4, inputNs: 10, inferNs: 100, outputNs: 1000);
        m.RecordBatch(size: 1, inferred: 1, inputNs: 20, inferNs: 200, outputNs: 2000);
        var s = m.Snapshot(default);

        Assert.Equal(new StatisticDuration(5, 4 * 10 + 20), s.ComputeInput);
        Assert.Equal(new StatisticDuration(5, 4 * 100 + 200), s.ComputeInfer);
        Assert.Equal(new StatisticDuration(5, 4 * 1000 + 2000), s.ComputeOutput);
        Assert.Equal((5UL, 2UL), (s.InferenceCount, s.ExecutionCount));
        var four = Assert.Single(s.BatchStats, b => b.BatchSize == 4);
        Assert.Equal(new StatisticDuration(1, 100), four.ComputeInfer);
    }
}
