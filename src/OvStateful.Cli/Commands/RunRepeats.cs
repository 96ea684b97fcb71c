using System.Globalization;
using OvStateful.Cli.Reports;
using OvStateful.Cli.Workloads;
using OvStateful.Core.Engines;
using Spectre.Console;

namespace OvStateful.Cli.Commands;

/// <summary>
/// <c>ovs run --repeats N</c>: the same run N times, one after another, each in a process of
/// its own (a child <c>ovs run</c> with this command line, writing repeats/repeat&lt;k&gt;.json in
/// the output folder). This machine's speed drifts more between processes (±10–15%) than
/// within one process's windows, so one process's window range does not hold the next
/// process's throughput; the combined range (every window of every repeat) samples that drift
/// (<see cref="RoundCombiner"/>). With --verify the first repeat verifies.
/// </summary>
internal static class RunRepeats
{
    public static async Task<int> RunAsync(RunCommand.Arguments a, ModelTarget target, IAnsiConsole console, CancellationToken ct)
    {
        var folder = OutputFolder.Resolve(a.Output, "run");
        var repeatsFolder = Path.Combine(folder, "repeats");
        Directory.CreateDirectory(repeatsFolder);
        console.WriteLine($"{target.Name}: {a.Repeats} repeats, one after another, each in a process of its own ({repeatsFolder}{Path.DirectorySeparatorChar}repeat<k>.json)");
        var reports = new List<RunReport>();
        for (var k = 1; k <= a.Repeats; k++)
        {
            var file = Path.Combine(repeatsFolder, $"repeat{k}.json");
            // Only the first repeat verifies: the replay checks outputs, which do not drift.
            IReadOnlyList<string> args = a.Verify && k == 1 ? [.. a.RepeatArguments, "--verify"] : a.RepeatArguments;
            IsolatedRun.Outcome outcome;
            try
            {
                outcome = await IsolatedRun.ShowAsync($"run (repeat {k}/{a.Repeats})", args, file, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            if (outcome.Report is not { } report)
            {
                var why = outcome.Error is { } e ? IsolatedRun.LastLines(e) : "(nothing on its standard error)";
                Console.Error.WriteLine($"ovs run: repeat {k} of {a.Repeats} (exit {outcome.Exit}) wrote no results to {file}:{Environment.NewLine}{why}");
                return 1;
            }
            reports.Add(report);
        }
        if (reports.Count == 0)
        {
            Console.Error.WriteLine("ovs run: cancelled before the first repeat ended");
            return 130;
        }

        var combined = RoundCombiner.Combine([.. reports.Select(r => r.Result)]);
        var first = reports[0];
        MeasurementPrinter.Print(console, $"{first.Model} on {combined.EngineName ?? combined.Engine}, {reports.Count} repeats (figures: their means; ranges: over all their windows)",
            combined, combined.Batches?.ToSizes(), spill: combined.Spill, server: combined.Server, cancelled: ct.IsCancellationRequested);
        PrintRepeats(console, reports, combined.Measurement);
        RunCommand.PrintVerify(console, combined.Difference, ", repeat 1");

        var engines = new Dictionary<string, EngineDescription>();
        foreach (var (label, d) in first.Provenance.Engines ?? new Dictionary<string, EngineDescription>()) engines[label] = d;
        var combinedReport = first with
        {
            Provenance = Provenance.Now(a.Measurement, engines),
            Result = combined,
            Repeats = reports.Count,
        };
        var json = a.Json?.FullName ?? Path.Combine(folder, "run.json");
        return RunCommand.Finish(console, json, combinedReport, ct.IsCancellationRequested, a.Tolerance);
    }

    /// <summary>One line per repeat (throughput with its window range, stability), then how far the repeats' throughputs differ.</summary>
    private static void PrintRepeats(IAnsiConsole console, IReadOnlyList<RunReport> reports, WindowedFigures? across)
    {
        static string F(double v) => v.ToString("F1", CultureInfo.InvariantCulture);
        var w = console.Profile.Out.Writer;
        for (var k = 0; k < reports.Count; k++)
        {
            var f = RoundFigures.From(reports[k].Result);
            var range = reports[k].Result.Measurement is null ? "" : $" (windows {F(f.StepsPerSecondMin)}–{F(f.StepsPerSecondMax)})";
            w.WriteLine($"repeat {k + 1}: {F(f.StepsPerSecond)} steps/s{range}, {reports[k].Result.Stability}");
        }
        if (across is { BetweenProcessesPercent: { } between })
            w.WriteLine($"between processes: the repeats' throughputs differ by {F(between)}% (max/min − 1), " +
                        (between <= across.StabilityPercent ? $"within --stability-percentage {across.StabilityPercent:0.#}" : $"more than --stability-percentage {across.StabilityPercent:0.#}: unstable"));
    }
}
