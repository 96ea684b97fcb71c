using System.Text.Json;
using OvStateful.Cli.Reports;
using OvStateful.Cli.Workloads;

namespace OvStateful.Cli.Tests;

/// <summary>`ovs run --repeats N`: each repeat a child `ovs run` of its own (real ONNX Runtime), combined into one result.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class RunRepeatsTests
{
    // Short windowed runs: a 0.1 s warm-up and three 200 ms windows per process.
    private static readonly string[] Short = ["-r", CliRunner.Models, "-m", "accumulate", "-n", "2", "-k", "20", "--warmup", "0.1", "--measurement-interval", "200", "--min-windows", "3", "--max-trials", "3"];

    [OrtAvailableFact]
    public void Two_repeats_write_their_json_and_a_run_json_whose_range_holds_every_window_and_whose_throughput_is_their_mean()
    {
        using var dir = new TempDir();
        var (exit, output, error) = CliRunner.Run(["run", .. Short, "--repeats", "2", "-o", dir.Path]);
        Assert.True(exit == 0, error + output);
        var repeats = Enumerable.Range(1, 2).Select(k => JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "repeats", $"repeat{k}.json"))).RootElement.GetProperty("result")).ToList();
        using var doc = JsonDocument.Parse(File.ReadAllText(dir["run.json"]));
        Assert.Equal(2, doc.RootElement.GetProperty("repeats").GetInt32());
        var result = doc.RootElement.GetProperty("result");
        var rounds = result.GetProperty("round_figures").EnumerateArray().ToList();
        Assert.Equal(2, rounds.Count);
        for (var k = 0; k < 2; k++) Assert.Equal(repeats[k].GetProperty("steps_per_second").GetDouble(), rounds[k].GetProperty("steps_per_second").GetDouble());
        Assert.Equal(repeats.Average(r => r.GetProperty("steps_per_second").GetDouble()), result.GetProperty("steps_per_second").GetDouble(), 9);

        // The range spans every window of both processes, and holds each repeat's throughput.
        var m = result.GetProperty("measurement");
        var (min, max) = (m.GetProperty("steps_per_second_min").GetDouble(), m.GetProperty("steps_per_second_max").GetDouble());
        var windows = repeats.SelectMany(r => r.GetProperty("measurement").GetProperty("windows").EnumerateArray()).Select(w => w.GetProperty("steps_per_second").GetDouble()).ToList();
        Assert.Equal(windows.Count, m.GetProperty("windows").GetArrayLength());
        Assert.Equal(windows.Min(), min);
        Assert.Equal(windows.Max(), max);
        Assert.All(repeats, r => Assert.InRange(r.GetProperty("steps_per_second").GetDouble(), min, max));
        Assert.Equal(2, m.GetProperty("processes").GetInt32());
        Assert.Equal(repeats.Sum(r => r.GetProperty("steps_ok").GetInt64()), result.GetProperty("steps_ok").GetInt64());

        Assert.Contains("in 2 processes", output);
        Assert.Matches(@"(?m)^repeat 1: \d+\.\d steps/s \(windows \d+\.\d–\d+\.\d\), (stable|unstable)$", output);
        Assert.Matches(@"(?m)^repeat 2: ", output);
        Assert.Contains("between processes: the repeats' throughputs differ by ", output);
    }

    [OrtAvailableFact]
    public void Two_repeats_with_verify_report_the_first_repeats_difference_of_0()
    {
        using var dir = new TempDir();
        var json = dir["combined.json"];
        var (exit, output, error) = CliRunner.Run(["run", .. Short, "--repeats", "2", "--verify", "-o", dir.Path, "--json", json]);
        Assert.True(exit == 0, error + output);
        Assert.Contains("verify: max abs difference 0, max rel difference 0 over ", output);
        Assert.Contains("(each sequence alone vs batched, repeat 1)", output);
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var difference = doc.RootElement.GetProperty("result").GetProperty("difference");
        Assert.Equal(0, difference.GetProperty("max_absolute").GetDouble());
        Assert.True(difference.GetProperty("values_compared").GetInt64() > 0);
        // Only the first repeat's child verified.
        using var second = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir.Path, "repeats", "repeat2.json")));
        Assert.False(second.RootElement.GetProperty("result").TryGetProperty("difference", out _));
        Assert.False(File.Exists(dir["run.json"]));
    }

    [Fact]
    public void Zero_repeats_is_a_usage_error_naming_the_option()
    {
        var (exit, output, error) = CliRunner.Run("run", "-r", CliRunner.Models, "-m", "accumulate", "--repeats", "0");
        Assert.Equal(2, exit);
        Assert.Contains("--repeats expects a whole number of at least 1, not 0", error + output);
    }

    [OpenVinoMissingFact]
    public void A_repeat_that_writes_no_results_fails_naming_the_repeat_and_the_childs_reason()
    {
        using var dir = new TempDir();
        var (engine, reason) = UnrunnableOpenVino.Get();
        var (exit, output, error) = CliRunner.Run(["run", .. Short, "-e", engine, "--repeats", "2", "-o", dir.Path]);
        Assert.True(exit == 1, error + output);
        Assert.Contains("ovs run: repeat 1 of 2 (exit 1) wrote no results", error);
        Assert.Contains($"{engine} cannot run accumulate: ", error);
        Assert.Contains(reason.Split('\n')[^1].Trim(), error);
        Assert.False(File.Exists(dir["run.json"]));
    }

    [OrtAvailableFact]
    public void One_windowed_run_notes_that_its_range_covers_one_process()
    {
        using var dir = new TempDir();
        var (exit, output, error) = CliRunner.Run(["run", .. Short, "-o", dir.Path]);
        Assert.True(exit == 0, error + output);
        Assert.Single(output.Split('\n'), l => l.StartsWith("note: the windows' range covers this one process; --repeats 3", StringComparison.Ordinal));
        using var doc = JsonDocument.Parse(File.ReadAllText(dir["run.json"]));
        Assert.Equal(1, doc.RootElement.GetProperty("repeats").GetInt32());
        Assert.False(Directory.Exists(dir["repeats"]));
    }

    [Fact]
    public void Repeats_whose_throughputs_differ_more_than_the_stability_percentage_are_unstable_between_processes()
    {
        static MeasurementReport Repeat(double stepsPerSecond)
        {
            var windows = Enumerable.Range(0, 3).Select(i => new MeasurementWindow(i, i, 1, (long)(stepsPerSecond + i), stepsPerSecond + i, new LatencySummary(1, 1, 1, 1, 2, 3))).ToList();
            var w = WindowedFigures.From(windows, [1, 2], new MeasurementPlan { StabilityPercent = 10 });
            return new MeasurementReport { Engine = "onnxruntime", StepsOk = 100, StepsPerSecond = w.StepsPerSecond, LatencyMs = w.Latency, Measurement = w };
        }
        var each = new[] { Repeat(1000), Repeat(1200) };
        Assert.All(each, r => Assert.True(r.Measurement!.Stable));
        var combined = RoundCombiner.Combine(each);
        Assert.Equal("unstable", combined.Stability);
        Assert.Contains("between processes", combined.Measurement!.Verdict);
        Assert.Equal(1000, combined.Measurement.StepsPerSecondMin);
        Assert.Equal(1202, combined.Measurement.StepsPerSecondMax);
        Assert.Equal((1001 + 1201) / 2.0, combined.StepsPerSecond, 9);
        Assert.Equal(200, combined.StepsOk);
        // Within the percentage, stable repeats stay stable.
        Assert.Equal("stable", RoundCombiner.Combine([Repeat(1000), Repeat(1050)]).Stability);
    }
}
