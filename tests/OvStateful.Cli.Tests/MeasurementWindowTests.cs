using System.Text.Json;
using OvStateful.Cli.Reports;
using OvStateful.Cli.Workloads;

namespace OvStateful.Cli.Tests;

/// <summary>Windows and stability (perf_analyzer's rule), the throughput ratio's interval, and windowed runs end to end.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class MeasurementWindowTests
{
    private static MeasurementPlan Plan(double stabilityPercent, double percentile = 99) => new() { StabilityPercent = stabilityPercent, Percentile = percentile };

    private static MeasurementWindow W(int i, double stepsPerSecond, double p99) =>
        new(i, i, 1, (long)stepsPerSecond, stepsPerSecond, new LatencySummary(p99 / 2, p99 / 3, p99 / 2, p99 / 1.5, p99, p99 * 2));

    [Fact]
    public void The_last_three_windows_within_the_percentage_are_stable_and_the_figures_span_every_window()
    {
        var windows = new[] { W(0, 500, 9), W(1, 1000, 10), W(2, 1050, 10.5), W(3, 1090, 10.9) };
        var f = WindowedFigures.From(windows, [1, 2, 3], Plan(10));
        Assert.True(f.Stable, f.Verdict); // the first window is not among the last three
        // ... but it is among the windows the figures and their ranges cover (a drifting machine's slow window counts).
        Assert.Equal(500, f.StepsPerSecondMin);
        Assert.Equal(1090, f.StepsPerSecondMax);
        Assert.Equal((500 + 1000 + 1050 + 1090) / 4.0, f.StepsPerSecond, 6);
        Assert.Equal(9, f.P99MinMs);
        Assert.Equal(10.9, f.P99MaxMs);
        Assert.Equal("min–max over all 4 windows after 1 s of warm-up", f.Spread);
    }

    [Theory]
    [InlineData(1000, 1200, 10, 10)]   // throughput 20% apart
    [InlineData(1000, 1000, 10, 12)]   // p99 20% apart
    public void A_spread_above_the_percentage_is_unstable(double tp1, double tp2, double p99a, double p99b)
    {
        var f = WindowedFigures.From([W(0, tp1, p99a), W(1, tp1, p99a), W(2, tp2, p99b)], [1], Plan(10));
        Assert.False(f.Stable);
        Assert.StartsWith("unstable:", f.Verdict);
    }

    [Fact]
    public void Stability_is_judged_on_the_percentile_asked_for()
    {
        // p99 20% apart, the mean (p99 / 2) too; p50 (p99 / 3 in W) is what --percentile 50 looks at.
        static MeasurementWindow V(int i, double p50, double p99) =>
            new(i, i, 1, 1000, 1000, new LatencySummary(5, p50, 8, 9, p99, 20) { ChosenPercentile = 50, ChosenMs = p50 });
        var windows = new[] { V(0, 3, 10), V(1, 3.1, 12), V(2, 3.05, 11) };
        Assert.True(WindowedFigures.From(windows, [1, 2], Plan(10, percentile: 50)).Stable);
        Assert.False(WindowedFigures.From(windows.Select(w => w with { Latency = w.Latency with { ChosenPercentile = null, ChosenMs = null } }).ToArray(), [1, 2], Plan(10)).Stable);
        Assert.Equal(50, WindowedFigures.From(windows, [1, 2], Plan(10, percentile: 50)).Percentile);
    }

    [Theory]
    [InlineData(new[] { 1.00, 1.01, 0.99 }, false)] // rounds agree around 1: no difference
    [InlineData(new[] { 1.50, 1.52, 1.49 }, true)]  // 1.5× in every round
    [InlineData(new[] { 1.02, 1.10, 1.04 }, false)] // every round's windows apart, but the rounds spread too much to call 4%
    public void The_rounds_interval_widens_the_window_extremes(double[] ratios, bool measurable)
    {
        // Windows within ±0.5%: the window extremes alone would call a 10% round-to-round spread a difference.
        var reference = ratios.Select(_ => new RoundFigures(1000, 995, 1005, 1, 2)).ToList();
        var engine = ratios.Select(r => new RoundFigures(1000 * r, 995 * r, 1005 * r, 1, 2)).ToList();
        var ratio = ThroughputRatio.Between(engine, reference, "first");
        Assert.Equal(measurable, ratio.Measurable);
        Assert.Equal(ratios.Average(), ratio.Ratio, 9);
    }

    [Fact]
    public void Fewer_than_three_windows_are_never_stable()
    {
        Assert.False(WindowedFigures.From([W(0, 1000, 10), W(1, 1000, 10)], [1], Plan(10)).Stable);
    }

    [Theory]
    [InlineData(900, 1100, 950, 1050, false)]  // intervals overlap: 1.0 inside
    [InlineData(1500, 1600, 950, 1050, true)]  // clearly faster
    public void A_ratio_interval_holding_one_is_no_measurable_difference(double eMin, double eMax, double fMin, double fMax, bool measurable)
    {
        static RoundFigures M(double min, double max) => new((min + max) / 2, min, max, 1, 2);
        var ratio = ThroughputRatio.Between([M(eMin, eMax)], [M(fMin, fMax)], "first");
        Assert.Equal(measurable, ratio.Measurable);
        Assert.True(ratio.Low <= ratio.Ratio && ratio.Ratio <= ratio.High);
        Assert.Equal(eMin / fMax, ratio.Low, 9);
        Assert.Equal(eMax / fMin, ratio.High, 9);
        if (!measurable) Assert.StartsWith("no measurable difference", ratio.Text);
    }

    [OrtAvailableFact]
    public void A_windowed_run_reports_windows_spread_and_provenance()
    {
        var dir = CliRunner.TempFolder();
        try
        {
            var (exit, output, error) = CliRunner.Run("run", "-r", CliRunner.Models, "-m", "accumulate", "-n", "2", "-k", "20",
                "--warmup", "0.2", "--measurement-interval", "200", "--max-trials", "4", "-o", dir);
            Assert.True(exit == 0, error + output);
            // --min-windows (default 5) yields to the lower --max-trials: exactly 4 windows, stable or not.
            Assert.Matches(@"measurement: 4 windows after 0\.2 s of warm-up", output);
            Assert.Matches(@"steps/s: \d+\.\d \(windows \d+\.\d–\d+\.\d: min–max over all 4 windows after 0\.2 s of warm-up\)", output);
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "run.json")));
            var result = doc.RootElement.GetProperty("result");
            var m = result.GetProperty("measurement");
            var windows = m.GetProperty("windows").GetArrayLength();
            Assert.Equal(4, windows);
            Assert.Equal(m.GetProperty("stable").GetBoolean() ? "stable" : "unstable", result.GetProperty("stability").GetString());
            Assert.InRange(result.GetProperty("steps_per_second").GetDouble(), m.GetProperty("steps_per_second_min").GetDouble(), m.GetProperty("steps_per_second_max").GetDouble());
            var p = doc.RootElement.GetProperty("provenance");
            Assert.StartsWith("ovs run -r ", p.GetProperty("command_line").GetString());
            Assert.Equal(Environment.ProcessorCount, p.GetProperty("cores").GetInt32());
            Assert.False(string.IsNullOrEmpty(p.GetProperty("cpu_model").GetString()));
            Assert.Contains(".NET", p.GetProperty("dotnet").GetString());
            Assert.Equal("time_windows", p.GetProperty("measurement").GetProperty("mode").GetString());
            Assert.Equal("onnxruntime", p.GetProperty("engines").GetProperty("onnxruntime").GetProperty("engine").GetString());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Min_windows_above_max_trials_is_a_usage_error_naming_both()
    {
        var (exit, output, error) = CliRunner.Run("run", "-r", CliRunner.Models, "-m", "accumulate", "--min-windows", "6", "--max-trials", "4");
        Assert.True(exit == 2, $"exit {exit}: {error}{output}");
        Assert.Contains("--min-windows 6 is more than --max-trials 4; expected --min-windows ≤ --max-trials", error + output);
        (exit, output, error) = CliRunner.Run("run", "-r", CliRunner.Models, "-m", "accumulate", "--min-windows", "2");
        Assert.True(exit == 2, $"exit {exit}: {error}{output}");
        Assert.Contains("--min-windows expects at least 3", error + output);
    }

    [OrtAvailableFact]
    public void Compare_the_same_engine_twice_in_alternating_rounds_gives_a_ratio_with_its_interval()
    {
        var dir = CliRunner.TempFolder();
        try
        {
            var (exit, output, error) = CliRunner.Run("compare", "-r", CliRunner.Models, "-m", "accumulate", "-e", "onnxruntime,onnxruntime", "-n", "2", "-k", "20",
                "--repeats", "2", "--warmup", "0.1", "--measurement-interval", "150", "--max-trials", "3", "-o", dir);
            Assert.True(exit == 0, error + output);
            Assert.Matches(@"(?m)^onnxruntime #2\t", output);
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "compare.json")));
            var engines = doc.RootElement.GetProperty("engines").EnumerateArray().ToList();
            Assert.Equal(2, engines[1].GetProperty("round_figures").GetArrayLength());
            // Each engine of each round ran in its own `ovs run` process, whose JSON is kept.
            Assert.Equal(4, Directory.GetFiles(Path.Combine(dir, "rounds"), "round*.json").Length);
            Assert.Contains("each engine in its own process", output);
            var ratio = engines[1].GetProperty("ratio_to_first");
            Assert.True(ratio.GetProperty("low").GetDouble() <= ratio.GetProperty("ratio").GetDouble());
            Assert.True(ratio.GetProperty("ratio").GetDouble() <= ratio.GetProperty("high").GetDouble());
            Assert.Equal(0, engines[1].GetProperty("difference").GetProperty("max_absolute").GetDouble());
            Assert.Equal(2, doc.RootElement.GetProperty("repeats").GetInt32());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
