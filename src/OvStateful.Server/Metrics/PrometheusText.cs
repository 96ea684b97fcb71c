using System.Globalization;
using System.Text;
using OvStateful.Core.Serving;

namespace OvStateful.Server.Metrics;

/// <summary>
/// Prometheus text exposition (format 0.0.4) of every ready model's statistics: Triton's
/// metric names where Triton has the metric, ovs_* for sequences, slots and spill. As Triton's
/// --metrics-config: the latency counters unless <c>counter_latencies=false</c>, the latency
/// summaries (quantiles of the latest <see cref="LatencyWindow.Capacity"/> observations) with
/// <c>summary_latencies=true</c>; then the CPU gauges.
/// </summary>
internal static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private sealed record Family(string Name, string Type, string Help, Func<ModelStatistics, double> Value);

    private sealed record Summary(string Name, string Help, Func<ModelStatistics, StatisticDuration> Totals, Func<LatencyQuantiles, double[]> Quantiles);

    private static readonly Family[] Counts =
    [
        new("nv_inference_request_success", "counter", "Number of successful inference requests, all batch sizes", s => s.Success.Count),
        new("nv_inference_request_failure", "counter", "Number of failed inference requests, all batch sizes", s => s.Fail.Count),
        new("nv_inference_count", "counter", "Number of inferences performed (does not include cached requests)", s => s.InferenceCount),
        new("nv_inference_exec_count", "counter", "Number of model executions performed (does not include cached requests)", s => s.ExecutionCount),
        new("nv_inference_pending_request_count", "gauge", "Instantaneous number of pending requests awaiting execution per-model.", s => s.PendingRequests),
    ];

    private static readonly Family[] CounterLatencies =
    [
        new("nv_inference_request_duration_us", "counter", "Cumulative inference request duration in microseconds (includes cached requests)", s => (s.Success.Ns + s.Fail.Ns) / 1000),
        new("nv_inference_queue_duration_us", "counter", "Cumulative inference queuing duration in microseconds (includes cached requests)", s => s.Queue.Ns / 1000),
        new("nv_inference_compute_input_duration_us", "counter", "Cumulative compute input duration in microseconds (does not include cached requests)", s => s.ComputeInput.Ns / 1000),
        new("nv_inference_compute_infer_duration_us", "counter", "Cumulative compute inference duration in microseconds (does not include cached requests)", s => s.ComputeInfer.Ns / 1000),
        new("nv_inference_compute_output_duration_us", "counter", "Cumulative inference compute output duration in microseconds (does not include cached requests)", s => s.ComputeOutput.Ns / 1000),
    ];

    private static readonly Summary[] SummaryLatencies =
    [
        new("nv_inference_request_summary_us", "Summary of inference request duration in microseconds (includes cached requests)", s => new(s.Success.Count + s.Fail.Count, s.Success.Ns + s.Fail.Ns), q => q.Request),
        new("nv_inference_queue_summary_us", "Summary of inference queuing duration in microseconds (includes cached requests)", s => s.Queue, q => q.Queue),
        new("nv_inference_compute_input_summary_us", "Summary of compute input duration in microseconds (does not include cached requests)", s => s.ComputeInput, q => q.ComputeInput),
        new("nv_inference_compute_infer_summary_us", "Summary of compute inference duration in microseconds (does not include cached requests)", s => s.ComputeInfer, q => q.ComputeInfer),
        new("nv_inference_compute_output_summary_us", "Summary of inference compute output duration in microseconds (does not include cached requests)", s => s.ComputeOutput, q => q.ComputeOutput),
    ];

    private static readonly Family[] Sequences =
    [
        new("ovs_sequences_active", "gauge", "Sequences that hold a slot or wait for one", s => s.ActiveSequences),
        new("ovs_sequences_backlogged", "gauge", "Sequences waiting in the backlog for a free slot", s => s.BackloggedSequences),
        new("ovs_sequences_spilled", "gauge", "Idle sequences whose state is spilled to host memory", s => s.SpilledSequences),
        new("ovs_spilled_bytes", "gauge", "Bytes of state held in host memory for spilled sequences", s => s.SpilledBytes),
        new("ovs_slots_total", "gauge", "State slots of the model (max_candidate_sequences)", s => s.SlotCount),
        new("ovs_slots_in_use", "gauge", "State slots held by live sequences", s => s.SlotsInUse),
        new("ovs_slot_utilization", "gauge", "Slots in use divided by slots (0 when the model has none)", s => s.SlotUtilization),
        new("ovs_spills_total", "counter", "Sequence states exported to host memory to free a slot", s => s.SpillCount),
        new("ovs_restores_total", "counter", "Spilled sequence states imported back into a slot", s => s.RestoreCount),
        new("ovs_sequences_expired_total", "counter", "Sequences released by max_sequence_idle_microseconds", s => s.ExpiredSequences),
        new("ovs_requests_cancelled_total", "counter", "Queued steps cancelled by their client before they ran", s => s.CancelledCount),
    ];

    /// <param name="counterLatencies">Triton's counter_latencies (default true): the cumulative *_duration_us counters.</param>
    /// <param name="summaryLatencies">Triton's summary_latencies (default false): the *_summary_us summaries.</param>
    /// <param name="host">CPU gauges; null leaves them out.</param>
    public static string Render(IReadOnlyList<ModelStatistics> models, bool counterLatencies = true, bool summaryLatencies = false, HostMetrics? host = null)
    {
        var sb = new StringBuilder(4096);
        Families(sb, Counts, models);
        if (counterLatencies) Families(sb, CounterLatencies, models);
        if (summaryLatencies)
        {
            foreach (var f in SummaryLatencies) RenderSummary(sb, f, models);
        }
        Families(sb, Sequences, models);
        if (host is not null) Host(sb, host);
        return sb.ToString();
    }

    private static void Families(StringBuilder sb, Family[] families, IReadOnlyList<ModelStatistics> models)
    {
        foreach (var f in families)
        {
            Header(sb, f.Name, f.Type, f.Help);
            foreach (var m in models) Sample(sb, f.Name, m, null, f.Value(m));
        }
    }

    /// <summary>A Prometheus summary: _count and _sum (all observations), then the window's quantiles (none before the first).</summary>
    private static void RenderSummary(StringBuilder sb, Summary f, IReadOnlyList<ModelStatistics> models)
    {
        Header(sb, f.Name, "summary", f.Help);
        foreach (var m in models)
        {
            var totals = f.Totals(m);
            Sample(sb, f.Name + "_count", m, null, totals.Count);
            Sample(sb, f.Name + "_sum", m, null, totals.Ns / 1000);
            var q = f.Quantiles(m.Latencies);
            for (var i = 0; i < q.Length; i++) Sample(sb, f.Name, m, LatencyWindow.Quantiles[i], q[i] / 1000);
        }
    }

    private static void Host(StringBuilder sb, HostMetrics host)
    {
        if (host.CpuUtilization() is double cpu)
        {
            Header(sb, "nv_cpu_utilization", "gauge", "CPU utilization rate [0.0 - 1.0]");
            sb.Append("nv_cpu_utilization ").Append(Number(cpu)).Append('\n');
        }
        if (HostMetrics.Memory() is var (total, used))
        {
            Header(sb, "nv_cpu_memory_total_bytes", "gauge", "CPU total memory (RAM), in bytes");
            sb.Append("nv_cpu_memory_total_bytes ").Append(Number(total)).Append('\n');
            Header(sb, "nv_cpu_memory_used_bytes", "gauge", "CPU used memory (RAM), in bytes");
            sb.Append("nv_cpu_memory_used_bytes ").Append(Number(used)).Append('\n');
        }
    }

    private static void Header(StringBuilder sb, string name, string type, string help)
    {
        sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
    }

    private static void Sample(StringBuilder sb, string name, ModelStatistics m, double? quantile, double value)
    {
        sb.Append(name).Append("{model=\"").Append(Escape(m.Name)).Append("\",version=\"").Append(Escape(m.Version)).Append('"');
        if (quantile is double q) sb.Append(",quantile=\"").Append(Number(q)).Append('"');
        sb.Append("} ").Append(Number(value)).Append('\n');
    }

    private static string Number(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Label values escape backslash, double quote and newline.</summary>
    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
