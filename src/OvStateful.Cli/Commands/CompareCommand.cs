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
/// available here, each engine in a process of its own (a child <c>ovs run</c>) per round, in
/// alternating order; a table of throughput with its ratio to the first engine, latency, memory
/// and the largest output difference against the first available engine (from one untimed pass
/// per engine here); compare.json, compare.csv, compare.svg and each round's run JSON in the
/// output folder. Engines that are missing are listed with their reason.
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
                          "The first available one is the reference for output differences and throughput ratios. An engine named here that cannot run exits 1; with the default list, a missing one is only noted",
            DefaultValueFactory = _ => "onnxruntime,openvino",
            HelpName = "list",
        };
        var sequences = CommonOptions.Sequences(8);
        var steps = CommonOptions.Steps(100, "Steps per sequence");
        steps.Aliases.Add("--sequence-length");
        var output = new Option<DirectoryInfo?>("--output", "-o") { Description = "Folder for compare.json, compare.csv, compare.svg and each round's run JSON in rounds/ (default: a new ./ovs-out/compare-<time>/)" };
        var spill = new Option<bool>("--spill") { Description = "Spill idle sequences' states to host memory when all slots are busy" };
        var seed = CommonOptions.Seed();
        var threads = CommonOptions.Threads();
        var repeats = CommonOptions.Positive(new Option<int>("--repeats")
        {
            Description = "Rounds: in each, every engine runs in a process of its own (ovs run: fresh process, session, warm-up, windows), in alternating order " +
                          "(round 2 runs them backwards), so no engine always goes first or last. Default 3",
            DefaultValueFactory = _ => 3,
        });
        var measurement = new MeasurementOptions(perfAnalyzerShortNames: false);
        var inputs = new InputOptions(defaultVariation: 0);
        var cmd = new Command("compare", "Run the same sequences through several engines (those available here), each in its own process, and compare throughput, latency, memory and outputs.")
        {
            repository, model, engines, sequences, steps, output, spill, seed, threads, repeats,
        };
        measurement.AddTo(cmd);
        inputs.AddTo(cmd);
        cmd.SetAction((parse, ct) => CommandGuard.RunAsync("compare", () => RunAsync(new Arguments(parse.GetValue(repository)!, parse.GetValue(model)!, parse.GetValue(engines)!,
            parse.GetResult(engines) is { Implicit: false }, parse.GetValue(sequences), parse.GetValue(steps), parse.GetResult(steps) is { Implicit: false }, parse.GetValue(output),
            parse.GetValue(spill), parse.GetValue(seed), parse.GetValue(threads), parse.GetValue(repeats), measurement.Read(parse), inputs.Read(parse)), ct)));
        return cmd;
    }

    /// <param name="EnginesGiven">--engines was given: an engine of it that cannot run here fails the command (exit 1); the default list only notes it.</param>
    private sealed record Arguments(DirectoryInfo Repository, string Model, string Engines, bool EnginesGiven, int Sequences, int Steps, bool StepsGiven, DirectoryInfo? Output,
        bool Spill, int Seed, int Threads, int Repeats, MeasurementPlan Plan, InputOptions.Choice Inputs)
    {
        /// <summary>The child `ovs run` of one engine: the same model, load, inputs, threads and measurement.</summary>
        public List<string> RunArguments(string engine)
        {
            var args = new List<string>
            {
                "run", "-r", Repository.FullName, "-m", Model, "-e", engine, "-n", I(Sequences), "-k", I(Steps), "--seed", I(Seed), "--threads", I(Threads),
                "--sequence-length-variation", Inputs.VariationPercent.ToString("R", CultureInfo.InvariantCulture),
            };
            if (Spill) args.Add("--spill");
            foreach (var d in Inputs.Data) args.AddRange(["--input-data", Path.GetFullPath(d) is var full && (File.Exists(full) || Directory.Exists(full)) ? full : d]);
            args.AddRange(MeasurementOptions.Arguments(Plan));
            return args;
        }

        private static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
    }

    private static async Task<int> RunAsync(Arguments a, CancellationToken ct)
    {
        var providers = EngineProviders.WithThreads(a.Threads);
        var target = ModelTarget.Resolve(a.Repository.FullName, a.Model);
        var choices = a.Engines.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(e => EngineChoice.Parse(e, providers)).ToList();
        if (choices.Count == 0) throw new UsageException("--engines is empty; give e.g. onnxruntime,openvino");
        // The same engine twice is allowed (how much do two runs of one engine differ?): "onnxruntime #2".
        var labels = choices.Select((c, i) => choices.Take(i).Count(p => p.Label == c.Label) is var n && n > 0 ? $"{c.Label} #{n + 1}" : c.Label).ToList();

        var console = Consoles.Create();
        var folder = OutputFolder.Resolve(a.Output, "compare");
        var roundsFolder = Directory.CreateDirectory(Path.Combine(folder, "rounds")).FullName;
        console.WriteLine($"{target.Name} v{target.VersionText}: {a.Sequences} sequences × {a.Steps} steps, engines {string.Join(", ", labels)}, " +
                          $"{a.Repeats} round(s) in alternating order, each engine in its own process");
        // rounds[i]: engine i's report of each round it ran, in round order.
        var rounds = choices.Select(_ => new List<MeasurementReport>()).ToArray();
        // Engines whose runtime is missing here are known before any process starts.
        var unavailable = choices.Select(c => EngineRun.Unavailable(c, providers)).ToArray();
        var engines = new Dictionary<string, EngineDescription>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var round = 0; round < a.Repeats && !ct.IsCancellationRequested; round++)
        {
            var order = Enumerable.Range(0, choices.Count).ToList();
            if (round % 2 == 1) order.Reverse();
            foreach (var i in order)
            {
                if (unavailable[i] is not null || ct.IsCancellationRequested) continue;
                var label = a.Repeats > 1 ? $"{labels[i]} (round {round + 1}/{a.Repeats})" : labels[i];
                var file = Path.Combine(roundsFolder, $"round{round + 1}-{string.Concat(labels[i].Select(ch => char.IsLetterOrDigit(ch) ? ch : '_'))}.json");
                IsolatedRun.Outcome outcome;
                try
                {
                    outcome = await IsolatedRun.ShowAsync(label, a.RunArguments(choices[i].Label), file, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    break;
                }
                if (outcome.Report is not { } report)
                {
                    // The child said why in one line: "ovs run: <engine> cannot run <model>: <reason>".
                    var why = outcome.Error ?? $"ovs run exited {outcome.Exit} without results";
                    unavailable[i] = why.StartsWith("ovs run: ", StringComparison.Ordinal) ? why["ovs run: ".Length..] : why;
                    continue;
                }
                foreach (var (_, d) in report.Provenance.Engines ?? new Dictionary<string, EngineDescription>()) engines[labels[i]] = d;
                rounds[i].Add(report.Result with { Engine = labels[i] });
            }
        }
        var elapsed = clock.Elapsed;

        // Output differences: one untimed pass per engine here, every sequence once, against the first engine that ran.
        var outputs = new RecordedOutputs?[choices.Count];
        for (var i = 0; i < choices.Count && !ct.IsCancellationRequested; i++)
        {
            if (rounds[i].Count == 0) continue;
            outputs[i] = await RecordOutputsAsync(target, choices[i], providers, a, ct).ConfigureAwait(false);
        }
        var referenceIndex = Array.FindIndex(rounds, r => r.Count > 0);
        var reference = referenceIndex < 0 ? null : labels[referenceIndex];
        var rows = choices.Select((c, i) =>
        {
            if (rounds[i].Count == 0)
                return new MeasurementReport { Engine = labels[i], Available = false, Reason = unavailable[i] ?? "cancelled before it ran" };
            var difference = outputs[i] is { } o && outputs[referenceIndex] is { } refOut ? DifferenceReport.From(OutputDifference.Between(refOut, o), reference!) : null;
            var combined = RoundCombiner.Combine(rounds[i]);
            var figures = combined.RoundFigures!;
            return combined with
            {
                Difference = difference,
                RatioToFirst = i == referenceIndex || referenceIndex < 0 ? null : ThroughputRatio.Between(figures, rounds[referenceIndex].Select(RoundFigures.From).ToList(), reference!),
            };
        }).ToList();
        PrintTable(console, rows, reference);
        console.WriteLine($"measured in {elapsed.TotalSeconds:F0} s ({a.Repeats} round(s) × {choices.Count} engine(s), each a process of its own)");

        var json = Path.Combine(folder, "compare.json");
        var csv = Path.Combine(folder, "compare.csv");
        var svg = Path.Combine(folder, "compare.svg");
        ReportFiles.WriteJson(json, new CompareReport
        {
            Model = target.Name,
            Version = target.VersionText,
            Sequences = a.Sequences,
            StepsPerSequence = a.Steps,
            Seed = a.Seed,
            Repeats = a.Repeats,
            Reference = reference,
            Provenance = Provenance.Now(a.Plan, engines),
            Engines = rows,
        });
        ReportFiles.WriteCsv(csv, rows);
        MeasurementCharts.WriteCompare(svg, $"ovs compare: {target.Name}, {a.Sequences} sequences × {a.Steps} steps, {a.Repeats} round(s)", rows,
            rows.Any(r => !r.Available) ? "n/a: " + string.Join("; ", rows.Where(r => !r.Available).Select(r => $"{r.Engine} unavailable")) : null);
        console.WriteLine($"wrote {json}, {csv}, {svg}, {roundsFolder}{Path.DirectorySeparatorChar}");

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
        if (a.EnginesGiven && rows.FirstOrDefault(r => !r.Available) is { } missing)
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

    /// <summary>Every sequence once through the engine, here, untimed: the outputs the differences compare.</summary>
    private static async Task<RecordedOutputs?> RecordOutputsAsync(ModelTarget target, EngineChoice choice, IReadOnlyList<IEngineProvider> providers, Arguments a, CancellationToken ct)
    {
        var served = EngineRun.TryLoad(target, choice, providers, new BatcherOptions { SpillEnabled = a.Spill }, out _);
        if (served is null) return null;
        await using (served)
        {
            var source = a.Inputs.Source(served.Inputs, a.Sequences, a.Steps, a.StepsGiven, a.Seed);
            var settings = new WorkloadSettings { Clients = a.Sequences, RecordOutputs = true, Measurement = MeasurementPlan.Once };
            var m = await EngineRun.RunAsync(served, choice, source, settings, null, ct).ConfigureAwait(false);
            return m.Result?.Outputs;
        }
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
            reference is null ? null : $"steps/s and latency: means over rounds; vs first: throughput ÷ {reference}'s, mean over rounds (interval: window extremes and the rounds' 95% interval); " +
                                       $"stability: unstable when any round was or the rounds' throughputs differ by more than the stability percentage; Δ: outputs against {reference}, value by value");
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
    /// <summary>Rounds; in each, every engine runs in a process of its own, the order alternating.</summary>
    public int Repeats { get; init; }
    public required Provenance Provenance { get; init; }
    /// <summary>The engine the output differences and throughput ratios are measured against (the first available).</summary>
    public string? Reference { get; init; }
    public required IReadOnlyList<MeasurementReport> Engines { get; init; }
}
