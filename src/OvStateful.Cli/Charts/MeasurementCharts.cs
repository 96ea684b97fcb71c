using OvStateful.Cli.Reports;

namespace OvStateful.Cli.Charts;

/// <summary>The standard figure of run/compare/bench results: throughput, latency percentiles and memory, one bar per measurement.</summary>
internal static class MeasurementCharts
{
    public static IReadOnlyList<BarPanel> Panels(IReadOnlyList<MeasurementReport> rows, bool memory = true)
    {
        Bar B(MeasurementReport r, Func<MeasurementReport, double> f) => new(r.Engine, r.Available && r.StepsOk > 0 ? f(r) : null);
        var panels = new List<BarPanel>
        {
            new("throughput", "steps/s", rows.Select(r => B(r, x => x.StepsPerSecond)).ToList(), "F0"),
            new("latency p50", "ms", rows.Select(r => B(r, x => x.LatencyMs.P50Ms)).ToList(), "G3"),
            new("latency p99", "ms", rows.Select(r => B(r, x => x.LatencyMs.P99Ms)).ToList(), "G3"),
        };
        if (memory)
            panels.Add(new("peak working set", "MiB", rows.Select(r => new Bar(r.Engine, r.Memory is { } m && r.Available ? m.PeakWorkingSetBytes / 1048576.0 : null)).ToList(), "F0"));
        return panels;
    }
}
