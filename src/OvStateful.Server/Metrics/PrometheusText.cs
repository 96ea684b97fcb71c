using System.Globalization;
using System.Text;
using OvStateful.Core.Serving;

namespace OvStateful.Server.Metrics;

/// <summary>
/// Prometheus text exposition (format 0.0.4) of every ready model's statistics: Triton's
/// metric names where Triton has the metric, ovs_* for sequences, slots and spill.
/// </summary>
internal static class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private sealed record Family(string Name, string Type, string Help, Func<ModelStatistics, double> Value);

    private static readonly Family[] Families =
    [
        new("nv_inference_request_success", "counter", "Number of successful inference requests, all batch sizes", s => s.Success.Count),
        new("nv_inference_request_failure", "counter", "Number of failed inference requests, all batch sizes", s => s.Fail.Count),
        new("nv_inference_count", "counter", "Number of inferences performed (does not include cached requests)", s => s.InferenceCount),
        new("nv_inference_exec_count", "counter", "Number of model executions performed (does not include cached requests)", s => s.ExecutionCount),
        new("nv_inference_request_duration_us", "counter", "Cumulative inference request duration in microseconds (includes cached requests)", s => (s.Success.Ns + s.Fail.Ns) / 1000),
        new("nv_inference_queue_duration_us", "counter", "Cumulative inference queuing duration in microseconds (includes cached requests)", s => s.Queue.Ns / 1000),
        new("nv_inference_compute_input_duration_us", "counter", "Cumulative compute input duration in microseconds (does not include cached requests)", s => s.ComputeInput.Ns / 1000),
        new("nv_inference_compute_infer_duration_us", "counter", "Cumulative compute inference duration in microseconds (does not include cached requests)", s => s.ComputeInfer.Ns / 1000),
        new("nv_inference_compute_output_duration_us", "counter", "Cumulative inference compute output duration in microseconds (does not include cached requests)", s => s.ComputeOutput.Ns / 1000),
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

    public static string Render(IReadOnlyList<ModelStatistics> models)
    {
        var sb = new StringBuilder(4096);
        foreach (var f in Families)
        {
            sb.Append("# HELP ").Append(f.Name).Append(' ').Append(f.Help).Append('\n');
            sb.Append("# TYPE ").Append(f.Name).Append(' ').Append(f.Type).Append('\n');
            foreach (var m in models)
            {
                sb.Append(f.Name).Append("{model=\"").Append(Escape(m.Name)).Append("\",version=\"").Append(Escape(m.Version)).Append("\"} ")
                  .Append(f.Value(m).ToString("R", CultureInfo.InvariantCulture)).Append('\n');
            }
        }
        return sb.ToString();
    }

    /// <summary>Label values escape backslash, double quote and newline.</summary>
    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
