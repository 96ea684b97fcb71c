using System.Globalization;
using OvStateful.Cli.Workloads;
using Spectre.Console;

namespace OvStateful.Cli.Reports;

/// <summary>The human summary of one run: throughput, latency, batches, memory, errors.</summary>
internal static class MeasurementPrinter
{
    /// <summary>On a terminal a rule and an aligned grid (values wrap within their cell); redirected, "key: value" lines.</summary>
    public static void Print(IAnsiConsole console, string title, WorkloadResult r, BatchSizes? batches, string batchesLabel = "batches", SpillCounts? spill = null,
        ServerSideReport? server = null) =>
        Print(console, title, MeasurementReport.From("", r), batches, batchesLabel, spill, server, r.Cancelled);

    /// <summary>The same summary of a report (run --repeats prints its repeats' combined report so).</summary>
    public static void Print(IAnsiConsole console, string title, MeasurementReport r, BatchSizes? batches, string batchesLabel = "batches", SpillCounts? spill = null,
        ServerSideReport? server = null, bool cancelled = false)
    {
        var plain = Terminal.Consoles.Plain;
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        var lines = new List<string>();
        void Row(string k, string v)
        {
            if (plain) lines.Add($"{k}: {v}");
            else grid.AddRow(Markup.Escape(k), Markup.Escape(v));
        }
        if (cancelled) Row("cancelled", "Ctrl+C: partial results of the steps measured so far; the sequences it started were ENDed");
        Row("sequences", $"{r.Sequences} ({r.Clients} concurrent)");
        if (r.RequestRate is { } rate)
            Row("request rate", $"{F(rate, "0.##")} steps/s asked; {r.DelayedSteps} step(s) sent more than 2 ms late ({F(100.0 * r.DelayedSteps / Math.Max(1, r.StepsSent), "F1")}%)" +
                (r.DelayedSteps > 0.1 * r.StepsSent ? ": the sequences could not keep up; add --num-of-sequences" : ""));
        Row("steps", $"{r.StepsOk} ok, {r.StepsFailed} failed in {F(r.Seconds, "F2")} s");
        if (r.Measurement is { } win)
        {
            Row("measurement", $"{win.Extent}; {(win.Stable ? win.Verdict : "UNSTABLE — " + win.Verdict[(win.Verdict.IndexOf(':') + 2)..])}");
            Row("steps/s", $"{F(win.StepsPerSecond, "F1")} (windows {F(win.StepsPerSecondMin, "F1")}–{F(win.StepsPerSecondMax, "F1")}: {win.Spread})");
            var chosen = win.Percentile is 99 or 50 ? "" : $", {LatencySummary.NameOf(win.Percentile)} {F(win.LatencyMinMs, "F3")}–{F(win.LatencyMaxMs, "F3")}";
            Row("latency ms", $"{Latency(win.Latency)} (p50 {F(win.P50MinMs, "F3")}–{F(win.P50MaxMs, "F3")}, p99 {F(win.P99MinMs, "F3")}–{F(win.P99MaxMs, "F3")}{chosen} over windows)");
        }
        else
        {
            Row("steps/s", F(r.StepsPerSecond, "F1"));
            Row("latency ms", Latency(r.LatencyMs));
        }
        if (server is not null)
            Row("server µs/step", $"queue {F(server.QueueUs, "F0")} + compute input {F(server.ComputeInputUs, "F0")} + infer {F(server.ComputeInferUs, "F0")} + output {F(server.ComputeOutputUs, "F0")}" +
                $" + overhead {F(server.OverheadUs, "F0")} = request {F(server.RequestUs, "F0")}; client waited {F(server.ClientOverServerUs, "F0")} more (network, protocol, client); " +
                $"{server.InferenceCount} inferences in {server.ExecutionCount} executions");
        if (batches is not null)
            Row(batchesLabel, batches.Executions == 0 ? "none" : $"{batches.Executions} executions, mean size {F(batches.Mean, "F2")}: {batches.Format()}");
        if (spill is { Spilled: > 0 } or { Restored: > 0 }) Row("spill", $"{spill.Spilled} states spilled to host memory, {spill.Restored} restored");
        if (r.Memory is { } m)
            Row("memory", $"peak working set {Bytes(m.PeakWorkingSetBytes)} (process peak {Bytes(m.ProcessPeakWorkingSetBytes)}), " +
                          $"peak GC heap {Bytes(m.PeakGcHeapBytes)}, allocated {Bytes(m.AllocatedBytes)}");
        if (r.ErrorsByKind.Count > 0)
        {
            Row("errors", string.Join(", ", r.ErrorsByKind.Select(kv => $"{kv.Key}: {kv.Value}")));
            if (r.FirstError is { } first) Row("first error", first);
        }
        if (plain)
        {
            var w = console.Profile.Out.Writer;
            w.WriteLine(title);
            foreach (var l in lines) w.WriteLine(l);
            return;
        }
        console.Write(new Rule(Markup.Escape(title)) { Justification = Justify.Left });
        console.Write(grid);
    }

    public static string Latency(LatencySummary l) =>
        $"p50 {F(l.P50Ms, "F3")}, p95 {F(l.P95Ms, "F3")}, p99 {F(l.P99Ms, "F3")}, mean {F(l.MeanMs, "F3")}, max {F(l.MaxMs, "F3")}" +
        (l is { ChosenPercentile: { } p, ChosenMs: { } v } && p is not (50 or 95 or 99) && p >= 0 ? $", {LatencySummary.NameOf(p)} {F(v, "F3")}" : "");

    public static string F(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);

    public static string Bytes(long b) => b switch
    {
        >= 1L << 30 => F(b / (double)(1L << 30), "F2") + " GiB",
        >= 1L << 20 => F(b / (double)(1L << 20), "F1") + " MiB",
        >= 1L << 10 => F(b / 1024.0, "F1") + " KiB",
        _ => b.ToString(CultureInfo.InvariantCulture) + " B",
    };
}
