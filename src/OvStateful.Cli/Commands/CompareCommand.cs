using System.CommandLine;
using System.Globalization;
using OvStateful.Cli.Charts;
using OvStateful.Cli.Reports;
using OvStateful.Cli.Terminal;
using OvStateful.Cli.Workloads;
using OvStateful.Core.Sequences;
using OvStateful.OnnxRuntime;
using Spectre.Console;

namespace OvStateful.Cli.Commands;

/// <summary>
/// <c>ovs compare</c>: the same sequences (same seeded inputs) through each engine that is
/// available here, one engine at a time; a table of throughput, latency, memory and the
/// largest output difference against the first available engine; compare.json, compare.csv
/// and compare.svg in the output folder. Engines that are missing are listed with their reason.
/// </summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var repository = CommonOptions.Repository();
        var model = CommonOptions.Model();
        var engines = new Option<string>("--engines", "-e")
        {
            Description = "Comma-separated engines to compare, each optionally with a device: onnxruntime, openvino, onnxruntime:cuda, onnxruntime:trt:1, openvino:GPU. " +
                          "The first available one is the reference for output differences. An engine named here that cannot run exits 1; with the default list, a missing one is only noted",
            DefaultValueFactory = _ => "onnxruntime,openvino",
            HelpName = "list",
        };
        var sequences = CommonOptions.Sequences(8);
        var steps = CommonOptions.Steps(100, "Steps per sequence");
        var output = new Option<DirectoryInfo?>("--output", "-o") { Description = "Folder for compare.json, compare.csv and compare.svg (default: a new ./ovs-out/compare-<time>/)" };
        var spill = new Option<bool>("--spill") { Description = "Spill idle sequences' states to host memory when all slots are busy" };
        var seed = CommonOptions.Seed();
        var threads = CommonOptions.Threads();
        var cmd = new Command("compare", "Run the same sequences through several engines (those available here) and compare throughput, latency, memory and outputs.")
        {
            repository, model, engines, sequences, steps, output, spill, seed, threads,
        };
        cmd.SetAction((parse, ct) => CommandGuard.RunAsync("compare", () => RunAsync(parse.GetValue(repository)!, parse.GetValue(model)!, parse.GetValue(engines)!, parse.GetResult(engines) is { Implicit: false },
            parse.GetValue(sequences), parse.GetValue(steps), parse.GetValue(output), parse.GetValue(spill), parse.GetValue(seed), parse.GetValue(threads), ct)));
        return cmd;
    }

    /// <param name="enginesGiven">--engines was given: an engine of it that cannot run here fails the command (exit 1); the default list only notes it.</param>
    private static async Task<int> RunAsync(DirectoryInfo repository, string model, string enginesText, bool enginesGiven, int sequences, int steps, DirectoryInfo? output,
        bool spill, int seed, int threads, CancellationToken ct)
    {
        var providers = EngineProviders.Create(new OnnxRuntimeOptions { IntraOpThreads = threads });
        var target = ModelTarget.Resolve(repository.FullName, model);
        var choices = enginesText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(e => EngineChoice.Parse(e, providers)).ToList();
        if (choices.Count == 0) throw new UsageException("--engines is empty; give e.g. onnxruntime,openvino");
        var duplicate = choices.GroupBy(c => c.Label).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new UsageException($"--engines names {duplicate.Key} twice");

        var console = Consoles.Create();
        console.WriteLine($"{target.Name} v{target.VersionText}: {sequences} sequences × {steps} steps, synthetic (seed {seed}), engines {string.Join(", ", choices.Select(c => c.Label))}");
        var measurements = new List<EngineMeasurement>();
        foreach (var choice in choices)
        {
            var served = EngineRun.TryLoad(target, choice, providers, new BatcherOptions { SpillEnabled = spill }, out var reason);
            if (served is null)
            {
                measurements.Add(new EngineMeasurement(choice.Label, null, null, BatchSizes.Empty, reason));
                continue;
            }
            await using (served)
            {
                var source = new SyntheticSteps(served.Inputs, sequences, steps, seed);
                var settings = new WorkloadSettings { Clients = sequences, RecordOutputs = true };
                measurements.Add(await EngineRun.RunAsync(served, choice, source, settings,
                    (w, run) => ProgressDisplay.ShowAsync(choice.Label, () => w.Completed, w.TotalSteps, null, run), ct).ConfigureAwait(false));
            }
            if (ct.IsCancellationRequested) break; // Ctrl+C: the table shows what was measured
        }

        var reference = measurements.FirstOrDefault(m => m.Ran);
        var rows = measurements.Select(m => MeasurementReport.From(m,
            m.Ran && reference is not null ? OutputDifference.Between(reference.Result!.Outputs!, m.Result!.Outputs!) : null, reference?.Engine)).ToList();
        PrintTable(console, rows, reference?.Engine);

        var folder = OutputFolder.Resolve(output, "compare");
        var json = Path.Combine(folder, "compare.json");
        var csv = Path.Combine(folder, "compare.csv");
        var svg = Path.Combine(folder, "compare.svg");
        ReportFiles.WriteJson(json, new CompareReport
        {
            Model = target.Name,
            Version = target.VersionText,
            Sequences = sequences,
            StepsPerSequence = steps,
            Seed = seed,
            Reference = reference?.Engine,
            Engines = rows,
        });
        ReportFiles.WriteCsv(csv, rows);
        BarChartSvg.Write(svg, $"ovs compare: {target.Name}, {sequences} sequences × {steps} steps", MeasurementCharts.Panels(rows),
            footnote: rows.Any(r => !r.Available) ? "n/a: " + string.Join("; ", rows.Where(r => !r.Available).Select(r => $"{r.Engine} unavailable")) : null);
        console.WriteLine($"wrote {json}, {csv}, {svg}");

        if (ct.IsCancellationRequested)
        {
            Console.Error.WriteLine("ovs compare: cancelled; the results above are partial");
            return 130;
        }
        if (reference is null)
        {
            Console.Error.WriteLine("ovs compare: none of the engines is available here");
            return 1;
        }
        if (enginesGiven && rows.FirstOrDefault(r => !r.Available) is { } missing)
        {
            Console.Error.WriteLine($"ovs compare: {missing.Engine} could not run: {EngineRun.OneLine(missing.Reason ?? "")}");
            return 1;
        }
        var failed = rows.Where(r => r.Available && r.StepsFailed > 0).ToList();
        if (failed.Count > 0)
        {
            Console.Error.WriteLine($"ovs compare: failed steps on {string.Join(", ", failed.Select(f => $"{f.Engine} ({f.StepsFailed}: {f.FirstError})"))}");
            return 1;
        }
        return 0;
    }

    private static void PrintTable(IAnsiConsole console, IReadOnlyList<MeasurementReport> rows, string? reference)
    {
        static string F(double v, string f) => v.ToString(f, CultureInfo.InvariantCulture);
        string[] header = ["engine", "steps/s", "p50 ms", "p95 ms", "p99 ms", "batch", "peak WS", "GC heap", "failed", "max |Δ|", "max rel Δ"];
        var cells = rows.Select(r => r.Available
            ? (IReadOnlyList<string>)
            [
                r.Engine, F(r.StepsPerSecond, "F1"), F(r.LatencyMs.P50Ms, "F3"), F(r.LatencyMs.P95Ms, "F3"), F(r.LatencyMs.P99Ms, "F3"),
                r.Batches is { } b ? F(b.Mean, "F2") : "", r.Memory is { } m ? MeasurementPrinter.Bytes(m.PeakWorkingSetBytes) : "",
                r.Memory is { } g ? MeasurementPrinter.Bytes(g.PeakGcHeapBytes) : "", r.StepsFailed.ToString(CultureInfo.InvariantCulture),
                r.Difference is { } d ? d.MaxAbsolute.ToString("G4", CultureInfo.InvariantCulture) : "",
                r.Difference is { } e ? e.MaxRelative.ToString("G4", CultureInfo.InvariantCulture) : "",
            ]
            : [r.Engine, "unavailable"]).ToList();
        ResultTable.Write(console, Consoles.Plain, "engines side by side", header, cells,
            reference is null ? null : $"Δ: outputs against {reference}, value by value");
        // Reasons are long (paths tried, how to install): plain lines, not wrapped into the table.
        foreach (var r in rows.Where(r => !r.Available)) console.Profile.Out.Writer.WriteLine($"{r.Engine} unavailable: {r.Reason}");
    }
}

/// <summary>The JSON that <c>ovs compare</c> writes.</summary>
internal sealed record CompareReport
{
    public string Command { get; init; } = "compare";
    public required string Model { get; init; }
    public required string Version { get; init; }
    public int Sequences { get; init; }
    public int StepsPerSequence { get; init; }
    public int Seed { get; init; }
    /// <summary>The engine the output differences are measured against (the first available).</summary>
    public string? Reference { get; init; }
    public required IReadOnlyList<MeasurementReport> Engines { get; init; }
}
