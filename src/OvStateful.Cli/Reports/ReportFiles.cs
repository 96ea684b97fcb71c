using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace OvStateful.Cli.Reports;

/// <summary>Writes reports as JSON (snake_case, indented) and measurements as CSV (one row per engine or run).</summary>
internal static class ReportFiles
{
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static void WriteJson<T>(string path, T report)
    {
        CreateFolderOf(path);
        File.WriteAllText(path, JsonSerializer.Serialize(report, Json) + "\n");
    }

    public static readonly string[] CsvHeader =
    [
        "engine", "available", "reason", "clients", "sequences", "steps_sent", "steps_ok", "steps_failed", "errors", "seconds", "steps_per_second",
        "latency_mean_ms", "latency_p50_ms", "latency_p90_ms", "latency_p95_ms", "latency_p99_ms", "latency_max_ms",
        "batch_mean", "peak_working_set_bytes", "peak_gc_heap_bytes", "allocated_bytes", "max_abs_diff", "max_rel_diff",
        "stability", "windows", "steps_per_second_min", "steps_per_second_max", "latency_p99_min_ms", "latency_p99_max_ms", "ratio_to_first", "ratio_low", "ratio_high",
        "request_rate", "delayed_steps", "server_request_us", "server_queue_us", "server_compute_input_us", "server_compute_infer_us", "server_compute_output_us",
        "server_overhead_us", "client_over_server_us",
    ];

    public static void WriteCsv(string path, IEnumerable<MeasurementReport> rows)
    {
        CreateFolderOf(path);
        var sb = new StringBuilder().AppendLine(string.Join(",", CsvHeader));
        foreach (var r in rows)
        {
            var l = r.LatencyMs;
            string[] cells =
            [
                r.Engine, r.Available ? "true" : "false", r.Reason ?? "", N(r.Clients), N(r.Sequences), N(r.StepsSent), N(r.StepsOk), N(r.StepsFailed),
                string.Join(";", r.ErrorsByKind.Select(kv => $"{kv.Key}={kv.Value}")), N(r.Seconds), N(r.StepsPerSecond),
                N(l.MeanMs), N(l.P50Ms), N(l.P90Ms), N(l.P95Ms), N(l.P99Ms), N(l.MaxMs),
                r.Batches is { } b ? N(b.Mean) : "", r.Memory is { } m ? N(m.PeakWorkingSetBytes) : "", r.Memory is { } g ? N(g.PeakGcHeapBytes) : "",
                r.Memory is { } a ? N(a.AllocatedBytes) : "", r.Difference is { } d ? N(d.MaxAbsolute) : "", r.Difference is { } e ? N(e.MaxRelative) : "",
                r.Available ? r.Stability : "", r.Measurement is { } w ? N(w.Windows.Count) : "",
                r.Measurement is { } w1 ? N(w1.StepsPerSecondMin) : "", r.Measurement is { } w2 ? N(w2.StepsPerSecondMax) : "",
                r.Measurement is { } w3 ? N(w3.P99MinMs) : "", r.Measurement is { } w4 ? N(w4.P99MaxMs) : "",
                r.RatioToFirst is { } q ? N(q.Ratio) : "", r.RatioToFirst is { } q1 ? N(q1.Low) : "", r.RatioToFirst is { } q2 ? N(q2.High) : "",
                r.RequestRate is { } rate ? N(rate) : "", r.RequestRate is null ? "" : N(r.DelayedSteps),
                .. r.Server is { } v
                    ? new[] { N(v.RequestUs), N(v.QueueUs), N(v.ComputeInputUs), N(v.ComputeInferUs), N(v.ComputeOutputUs), N(v.OverheadUs), N(v.ClientOverServerUs) }
                    : ["", "", "", "", "", "", ""],
            ];
            sb.AppendLine(string.Join(",", cells.Select(Quote)));
        }
        File.WriteAllText(path, sb.ToString());
    }

    private static string N(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    private static string N(long v) => v.ToString(CultureInfo.InvariantCulture);

    /// <summary>RFC 4180: quote a cell holding a comma, quote or line break; double its quotes.</summary>
    private static string Quote(string cell) =>
        cell.AsSpan().IndexOfAny(",\"\r\n") < 0 ? cell : "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static void CreateFolderOf(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
    }
}
