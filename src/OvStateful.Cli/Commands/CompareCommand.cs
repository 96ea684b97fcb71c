using System.CommandLine;
using System.Globalization;
using OvStateful.Cli.Charts;
using OvStateful.Cli.Reports;
using OvStateful.Cli.Terminal;
using OvStateful.Cli.Workloads;
using OvStateful.Core.Engines;
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
        var repeats = CommonOptions.Positive(new Option<int>("--repeats")
        {
            Description = "Rounds: each loads every engine afresh (new process state: fresh session, warm-up, windows), in alternating order (round 2 runs them backwards), " +
                          "so no engine always goes first or last. Default 3",
            DefaultValueFactory = _ => 3,
        });
        var measurement = new MeasurementOptions(perfAnalyzerShortNames: false);
        var cmd = new Command("compare", "Run the same sequences through several engines (those available here) and compare throughput, latency, memory and outputs.")
        {
            repository, model, engines, sequences, steps, output, spill, seed, threads, repeats,
        };
        measurement.AddTo(cmd);
        cmd.SetAction((parse, ct) => CommandGuard.RunAsync("compare", () => RunAsync(parse.GetValue(repository)!, parse.GetValue(model)!, parse.GetValue(engines)!, parse.GetResult(engines) is { Implicit: false },
            parse.GetValue(sequences), parse.GetValue(steps), parse.GetValue(output), parse.GetValue(spill), parse.GetValue(seed), parse.GetValue(threads), parse.GetValue(repeats), measurement.Read(parse), ct)));
        return cmd;
    }

    /// <param name="enginesGiven">--engines was given: an engine of it that cannot run here fails the command (exit 1); the default list only notes it.</param>
    private static async Task<int> RunAsync(DirectoryInfo repository, string model, string enginesText, bool enginesGiven, int sequences, int steps, DirectoryInfo? output,
        bool spill, int seed, int threads, int repeats, MeasurementPlan plan, CancellationToken ct)
    {
        var providers = EngineProviders.WithThreads(threads);
        var target = ModelTarget.Resolve(repository.FullName, model);
        var choices = enginesText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(e => EngineChoice.Parse(e, providers)).ToList();
        if (choices.Count == 0) throw new UsageException("--engines is empty; give e.g. onnxruntime,openvino");
        // The same engine twice is allowed (how much do two runs of one engine differ?): "onnxruntime #2".
        var labels = choices.Select((c, i) => choices.Take(i).Count(p => p.Label == c.Label) is var n && n > 0 ? $"{c.Label} #{n + 1}" : c.Label).ToList();

        var console = Consoles.Create();
        console.WriteLine($"{target.Name} v{target.VersionText}: {sequences} sequences × {steps} steps, synthetic (seed {seed}), engines {string.Join(", ", labels)}, " +
                          $"{repeats} round(s) in alternating order");
        // rounds[i]: engine i's measurement in each round it ran.
        var rounds = choices.Select(_ => new List<EngineMeasurement>()).ToArray();
        var unavailable = new string?[choices.Count];
        var engines = new Dictionary<string, EngineDescription>();
        for (var round = 0; round < repeats && !ct.IsCancellationRequested; round++)
        {
            var order = Enumerable.Range(0, choices.Count).ToList();
            if (round % 2 == 1) order.Reverse();
            foreach (var i in order)
            {
                if (unavailable[i] is not null || ct.IsCancellationRequested) continue;
                var served = EngineRun.TryLoad(target, choices[i], providers, new BatcherOptions { SpillEnabled = spill }, out var reason);
                if (served is null)
                {
                    unavailable[i] = reason;
                    continue;
                }
                await using (served)
                {
                    engines[labels[i]] = served.Instances[0];
                    var source = new SyntheticSteps(served.Inputs, sequences, steps, seed);
                    // Outputs of the first round only: they do not change between rounds.
                    var settings = new WorkloadSettings { Clients = sequences, RecordOutputs = round == 0, Measurement = plan };
                    var label = repeats > 1 ? $"{labels[i]} (round {round + 1}/{repeats})" : labels[i];
                    var m = await EngineRun.RunAsync(served, choices[i], source, settings,
                        (w, run) => ProgressDisplay.ShowAsync(label, () => w.Completed, w.TotalSteps, null, run), ct).ConfigureAwait(false);
                    rounds[i].Add(m with { Engine = labels[i] });
                }
            }
        }

        var measurements = choices.Select((c, i) => rounds[i].Count > 0 ? rounds[i][0] : new EngineMeasurement(labels[i], null, null, BatchSizes.Empty, unavailable[i] ?? "cancelled before it ran")).ToList();
        var referenceIndex = measurements.FindIndex(m => m.Ran && m.Result!.Outputs is not null);
        var reference = referenceIndex < 0 ? null : measurements[referenceIndex];
        var rows = measurements.Select((m, i) =>
        {
            var row = MeasurementReport.From(m,
                m.Ran && reference is not null && m.Result!.Outputs is not null ? OutputDifference.Between(reference.Result!.Outputs!, m.Result.Outputs) : null, reference?.Engine);
            if (!m.Ran) return row;
            var tp = rounds[i].Select(r => r.Result!.Windowed?.StepsPerSecond ?? r.Result!.StepsPerSecond).ToList();
            return row with
            {
                StepsPerSecond = tp.Average(),
                Rounds = tp,
                RatioToFirst = reference is null || i == referenceIndex ? null : ThroughputRatio.Between(rounds[i], rounds[referenceIndex], reference.Engine),
            };
        }).ToList();
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
            Repeats = repeats,
            Reference = reference?.Engine,
            Provenance = Provenance.Now(plan, engines),
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
        string[] header = ["engine", "steps/s", "vs first", "p50 ms", "p99 ms", "stability", "batch", "peak WS", "failed", "max |Δ|", "max rel Δ"];
        var cells = rows.Select(r => r.Available
            ? (IReadOnlyList<string>)
            [
                r.Engine, F(r.StepsPerSecond, "F1"), r.RatioToFirst?.Text ?? (r.Engine == reference ? "reference" : ""),
                F(r.LatencyMs.P50Ms, "F3"), F(r.LatencyMs.P99Ms, "F3"), r.Stability,
                r.Batches is { } b ? F(b.Mean, "F2") : "", r.Memory is { } m ? MeasurementPrinter.Bytes(m.PeakWorkingSetBytes) : "",
                r.StepsFailed.ToString(CultureInfo.InvariantCulture),
                r.Difference is { } d ? d.MaxAbsolute.ToString("G4", CultureInfo.InvariantCulture) : "",
                r.Difference is { } e ? e.MaxRelative.ToString("G4", CultureInfo.InvariantCulture) : "",
            ]
            : [r.Engine, "unavailable"]).ToList();
        ResultTable.Write(console, Consoles.Plain, "engines side by side", header, cells,
            reference is null ? null : $"vs first: throughput ÷ {reference}'s, mean over rounds (interval: window extremes); Δ: outputs against {reference}, value by value");
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
    /// <summary>Rounds; each loads every engine afresh, the order alternating.</summary>
    public int Repeats { get; init; }
    public required Provenance Provenance { get; init; }
    /// <summary>The engine the output differences and throughput ratios are measured against (the first available).</summary>
    public string? Reference { get; init; }
    public required IReadOnlyList<MeasurementReport> Engines { get; init; }
}
