using System.CommandLine;
using OvStateful.Cli.Reports;
using OvStateful.Cli.Terminal;
using OvStateful.Cli.Workloads;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.OnnxRuntime;
using Spectre.Console;

namespace OvStateful.Cli.Commands;

/// <summary>
/// <c>ovs run</c>: a streaming workload in this process through the real sequence batcher and
/// one engine: N concurrent sequences of K steps, synthetic or WAV inputs; throughput, latency
/// percentiles, batch sizes, memory; with --verify every sequence is replayed alone on a
/// single-slot engine and the outputs compared. With --repeats N the run is made N times, each
/// in a child process of its own, and combined (<see cref="RunRepeats"/>).
/// </summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var repository = CommonOptions.Repository();
        var model = CommonOptions.Model();
        var engine = new Option<string?>("--engine", "-e") { Description = "Engine: onnxruntime or openvino, optionally with a device (onnxruntime:cuda). Default: the config's engine parameter, else onnxruntime" };
        var device = new Option<string?>("--device", "-d") { Description = "Device for the engine: cpu, cuda[:N], trt[:N] (onnxruntime); CPU, GPU, AUTO (openvino). Default: from config.pbtxt" };
        var sequences = CommonOptions.Sequences(8);
        var steps = CommonOptions.Steps(100, "Steps per sequence (synthetic inputs; perf_analyzer's --sequence-length), varied by --sequence-length-variation");
        steps.Aliases.Add("--sequence-length");
        var inputDir = new Option<DirectoryInfo?>("--input-dir") { Description = "Folder of 16 kHz mono 16-bit PCM .wav files: one sequence per file, cut into the model's input size (silero_vad: 512 samples); --sequences and --steps then come from the files. Default: synthetic inputs" };
        var verify = new Option<bool>("--verify")
        {
            Description = "Replay every sequence alone on a fresh single-slot engine and report the largest output difference (0 expected on CPU). With --repeats, the first repeat verifies and its difference is reported",
        };
        var tolerance = new Option<double>("--tolerance") { Description = "Largest absolute difference --verify accepts (exit code 1 above it)", DefaultValueFactory = _ => 0 };
        var spill = new Option<bool>("--spill") { Description = "Spill idle sequences' states to host memory when all slots are busy, instead of making new sequences wait" };
        var json = new Option<FileInfo?>("--json") { Description = "Write the results to this JSON file (default: run.json in the output folder); with --repeats, the combined result" };
        var output = new Option<DirectoryInfo?>("--output", "-o") { Description = "Folder for run.json and, with --repeats, each repeat's JSON in repeats/ (default: a new ./ovs-out/run-<time>/)" };
        var repeats = CommonOptions.Positive(new Option<int>("--repeats")
        {
            Description = "Measure this many times, each time in a process of its own (a child ovs run: fresh process, session, warm-up, windows), one after another. " +
                          "The result: each figure the mean of the repeats', each range over every window of every repeat, so it samples the drift between processes; " +
                          "unstable when a repeat was or the repeats' throughputs differ by more than --stability-percentage. Default 1: one run in this process",
            DefaultValueFactory = _ => 1,
        });
        var seed = CommonOptions.Seed();
        var threads = CommonOptions.Threads();
        var measurement = new MeasurementOptions(perfAnalyzerShortNames: false);
        var inputs = new InputOptions(defaultVariation: 0);
        var cmd = new Command("run", "Stream N concurrent sequences of K steps through a model in this process (real batcher and engine); report throughput, latency, batching and memory.")
        {
            repository, model, engine, device, sequences, steps, inputDir, verify, tolerance, spill, json, output, seed, threads, repeats,
        };
        measurement.AddTo(cmd);
        inputs.AddTo(cmd);
        cmd.SetAction((parse, ct) => CommandGuard.RunAsync("run", () => RunAsync(new Arguments(
            parse.GetValue(repository)!, parse.GetValue(model)!, parse.GetValue(engine), parse.GetValue(device), parse.GetValue(sequences), parse.GetValue(steps),
            parse.GetResult(steps) is { Implicit: false }, parse.GetValue(inputDir), parse.GetValue(verify), parse.GetValue(tolerance), parse.GetValue(spill), parse.GetValue(json),
            parse.GetValue(output), parse.GetValue(seed), parse.GetValue(threads), measurement.Read(parse), inputs.Read(parse),
            parse.GetValue(repeats), IsolatedRun.ArgumentsWithout(parse, repeats, json, output, verify)), ct)));
        return cmd;
    }

    /// <param name="RepeatArguments">This command line without --repeats, --json, --output and --verify: what each repeat's child runs.</param>
    internal sealed record Arguments(DirectoryInfo Repository, string Model, string? Engine, string? Device, int Sequences, int Steps, bool StepsGiven, DirectoryInfo? InputDir,
        bool Verify, double Tolerance, bool Spill, FileInfo? Json, DirectoryInfo? Output, int Seed, int Threads, MeasurementPlan Measurement, InputOptions.Choice Inputs,
        int Repeats, IReadOnlyList<string> RepeatArguments);

    private static async Task<int> RunAsync(Arguments a, CancellationToken ct)
    {
        if (a.InputDir is not null && !a.Inputs.Synthetic) throw new UsageException("--input-dir (WAV files) and --input-data are two sources of inputs; give one");
        var providers = EngineProviders.WithThreads(a.Threads);
        var target = ModelTarget.Resolve(a.Repository.FullName, a.Model);
        var choice = EngineChoice.Parse(a.Engine ?? target.Definition.Parameters?.EngineName ?? "onnxruntime", providers, a.Device);
        var console = Consoles.Create();
        if (a.Repeats > 1) return await RunRepeats.RunAsync(a, target, console, ct).ConfigureAwait(false);

        var served = EngineRun.TryLoad(target, choice, providers, new BatcherOptions { SpillEnabled = a.Spill }, out var reason);
        if (served is null)
        {
            Console.Error.WriteLine($"ovs run: {choice.Label} cannot run {target.Name}: {reason}");
            return 1;
        }
        IStepSource source;
        EngineMeasurement measurement;
        Dictionary<string, EngineDescription> engines;
        await using (served)
        {
            source = a.InputDir is { } dir ? new WavSteps(served.Inputs, dir.FullName) : a.Inputs.Source(served.Inputs, a.Sequences, a.Steps, a.StepsGiven, a.Seed);
            console.MarkupLine(Markup.Escape($"{target.Name} v{target.VersionText} on {served.EngineName}: {source.SequenceCount} sequences, {source.Description}, " +
                $"{served.Batcher.SlotCount} slots, max batch {served.Batcher.Settings.MaxBatchSize}{(a.Spill ? ", spill on" : "")}"));
            var settings = new WorkloadSettings { Clients = source.SequenceCount, RecordOutputs = a.Verify, Measurement = a.Measurement };
            engines = new Dictionary<string, EngineDescription> { [choice.Label] = served.Instances[0] };
            measurement = await EngineRun.RunAsync(served, choice, source, settings,
                (w, run) => ProgressDisplay.ShowAsync("run", () => w.Completed, w.TotalSteps, null, run), ct).ConfigureAwait(false);
        }
        var result = measurement.Result!;
        MeasurementPrinter.Print(console, $"{target.Name} on {measurement.EngineName}", result, measurement.Batches, spill: measurement.Spill, server: measurement.Server);

        OutputDifference? difference = null;
        if (a.Verify && !result.Cancelled)
        {
            long replayed = 0;
            var total = Enumerable.Range(0, source.SequenceCount).Sum(s => (long)source.StepsOf(s));
            var replay = Task.Run(() => SoloReplay.Run(target, choice, providers, source, source.SequenceCount, n => Volatile.Write(ref replayed, n)), ct);
            await ProgressDisplay.ShowAsync("verify (each sequence alone)", () => Volatile.Read(ref replayed), total, null, replay).ConfigureAwait(false);
            difference = OutputDifference.Between(await replay.ConfigureAwait(false), result.Outputs!);
        }
        var report = new RunReport
        {
            Model = target.Name,
            Version = target.VersionText,
            Input = source.Description,
            Spill = a.Spill,
            Provenance = Provenance.Now(a.Measurement, engines),
            Result = MeasurementReport.From(measurement, difference, difference is null ? null : SoloAgainst),
        };
        PrintVerify(console, report.Result.Difference, "");
        if (result.Windowed is not null)
            console.WriteLine("note: the windows' range covers this one process; --repeats 3 measures in 3 processes and samples the drift between them");
        var file = a.Json ?? new FileInfo(Path.Combine(OutputFolder.Resolve(a.Output, "run"), "run.json"));
        return Finish(console, file.FullName, report, result.Cancelled, a.Tolerance);
    }

    /// <summary>What --verify compares the batched outputs against.</summary>
    private const string SoloAgainst = "each sequence alone on a single-slot engine";

    internal static void PrintVerify(IAnsiConsole console, DifferenceReport? d, string which)
    {
        if (d is null) return;
        console.WriteLine($"verify: max abs difference {d.MaxAbsolute:R}, max rel difference {d.MaxRelative:R} " +
                          $"over {d.ValuesCompared} values of {d.StepsCompared} steps (each sequence alone vs batched{which})");
        if (d.Worst is { } w && d.MaxAbsolute > 0) console.WriteLine($"verify: largest at {w}");
    }

    /// <summary>Writes the JSON, then the exit code: 130 cancelled, 1 for failed steps or a difference above the tolerance, else 0.</summary>
    internal static int Finish(IAnsiConsole console, string file, RunReport report, bool cancelled, double tolerance)
    {
        ReportFiles.WriteJson(file, report);
        console.WriteLine($"wrote {file}");
        var result = report.Result;
        if (cancelled)
        {
            Console.Error.WriteLine("ovs run: cancelled; the results above are partial");
            return 130;
        }
        if (result.StepsFailed > 0)
        {
            Console.Error.WriteLine($"ovs run: {result.StepsFailed} step(s) failed; first: {result.FirstError}");
            return 1;
        }
        if (result.Difference is { } d && !(d.MaxAbsolute <= tolerance))
        {
            Console.Error.WriteLine($"ovs run: --verify found a difference of {d.MaxAbsolute:R} (tolerance {tolerance:R}) at {d.Worst}");
            return 1;
        }
        return 0;
    }
}

/// <summary>The JSON that <c>ovs run --json</c> writes.</summary>
internal sealed record RunReport
{
    public string Command { get; init; } = "run";
    public required string Model { get; init; }
    public required string Version { get; init; }
    public required string Input { get; init; }
    public bool Spill { get; init; }
    public required Provenance Provenance { get; init; }
    public required MeasurementReport Result { get; init; }
    /// <summary>--repeats: how many processes measured; the result combines them (its round_figures lists each).</summary>
    public int Repeats { get; init; } = 1;
}
