using System.Globalization;
using System.Text;

namespace OvStateful.Cli.Reports;

/// <summary>
/// perf_analyzer's latency report (<c>-f FILE</c>), column for column as perf_analyzer 2.51
/// writes it without --verbose-csv, so scripts that read its CSV read ours: "Concurrency" (or
/// "Request Rate"), "Inferences/Second", the client and server breakdown in whole microseconds,
/// then p50/p90/p95/p99 (and the --percentile asked for) latency; rows in order of rising
/// throughput, as perf_analyzer sorts them. ovs times each step as a whole, so "Client Send"
/// and "Client Recv" are 0 and the client's own time is inside "Network+Server Send/Recv".
/// Without server statistics the server columns are 0.
/// </summary>
internal static class LatencyReportCsv
{
    public static void Write(string path, IReadOnlyList<MeasurementReport> rows, bool requestRate, double percentile)
    {
        var percentiles = new SortedSet<double> { 50, 90, 95, 99 };
        if (percentile >= 0) percentiles.Add(percentile);
        var sb = new StringBuilder(requestRate ? "Request Rate," : "Concurrency,")
            .Append("Inferences/Second,Client Send,Network+Server Send/Recv,Server Queue,Server Compute Input,Server Compute Infer,Server Compute Output,Client Recv");
        foreach (var p in percentiles) sb.Append(",p").Append(p.ToString("0.##", CultureInfo.InvariantCulture)).Append(" latency");
        sb.Append('\n');
        foreach (var r in rows.Where(r => r.Available).OrderBy(r => r.StepsPerSecond))
        {
            var s = r.Server;
            sb.Append(requestRate ? G(r.RequestRate ?? 0) : r.Clients.ToString(CultureInfo.InvariantCulture)).Append(',').Append(G(r.StepsPerSecond)).Append(",0,")
                .Append(Us(s?.ClientOverServerUs ?? r.LatencyMs.MeanMs * 1000)).Append(',').Append(Us(s?.QueueUs ?? 0)).Append(',')
                .Append(Us(s?.ComputeInputUs ?? 0)).Append(',').Append(Us(s?.ComputeInferUs ?? 0)).Append(',').Append(Us(s?.ComputeOutputUs ?? 0)).Append(",0");
            foreach (var p in percentiles) sb.Append(',').Append(Us(1000 * LatencyAt(r, p)));
            sb.Append('\n');
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        File.WriteAllText(path, sb.ToString());
    }

    private static double LatencyAt(MeasurementReport r, double p) => p switch
    {
        50 => r.LatencyMs.P50Ms,
        90 => r.LatencyMs.P90Ms,
        95 => r.LatencyMs.P95Ms,
        99 => r.LatencyMs.P99Ms,
        _ => r.LatencyMs.ChosenMs ?? 0,
    };

    /// <summary>Whole microseconds, cut as perf_analyzer's integer division cuts them.</summary>
    private static string Us(double us) => ((ulong)Math.Max(0, us)).ToString(CultureInfo.InvariantCulture);

    /// <summary>C++'s default stream format: 6 significant digits ("1885.19", "1.23457e+06").</summary>
    private static string G(double v) => v.ToString("G6", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
}
