using OvStateful.Cli.Workloads;

namespace OvStateful.Cli.Reports;

/// <summary>
/// Where a step's time went on the server, per request, as perf_analyzer breaks it down from the
/// statistics extension (the same windows as the client's figures): queued in the sequence
/// batcher, then the compute phases (input, infer, output: each request counts its whole
/// batch's time), the rest of the server's request time as overhead, and what the client waited
/// beyond all that (network, HTTP/gRPC handling, the client itself). Microseconds.
/// </summary>
/// <param name="ClientOverServerUs">The client's mean latency minus queue and compute (perf_analyzer's "Network+Server Send/Recv"), at least 0.</param>
internal sealed record ServerSideReport(ulong InferenceCount, ulong ExecutionCount, ulong SuccessCount, double RequestUs, double QueueUs,
    double ComputeInputUs, double ComputeInferUs, double ComputeOutputUs, double OverheadUs, double ClientOverServerUs)
{
    public double ComputeUs => ComputeInputUs + ComputeInferUs + ComputeOutputUs;

    /// <param name="clientMeanMs">The client's mean step latency over the same interval.</param>
    public static ServerSideReport From(ServerCounters d, double clientMeanMs)
    {
        var request = d.Success.MeanUs;
        var queue = d.Queue.MeanUs;
        double input = d.ComputeInput.MeanUs, infer = d.ComputeInfer.MeanUs, output = d.ComputeOutput.MeanUs;
        var compute = input + infer + output;
        return new ServerSideReport(d.InferenceCount, d.ExecutionCount, d.Success.Count, request, queue, input, infer, output,
            Math.Max(0, request - queue - compute), Math.Max(0, clientMeanMs * 1000 - queue - compute));
    }

    /// <summary>Several runs' breakdowns: each per-request figure their mean (each run weighs the same), the counts summed.</summary>
    public static ServerSideReport Mean(IReadOnlyList<ServerSideReport> r) =>
        new(r.Aggregate(0UL, (n, x) => n + x.InferenceCount), r.Aggregate(0UL, (n, x) => n + x.ExecutionCount), r.Aggregate(0UL, (n, x) => n + x.SuccessCount),
            r.Average(x => x.RequestUs), r.Average(x => x.QueueUs), r.Average(x => x.ComputeInputUs), r.Average(x => x.ComputeInferUs), r.Average(x => x.ComputeOutputUs),
            r.Average(x => x.OverheadUs), r.Average(x => x.ClientOverServerUs));
}
