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
/// single-slot engine and the outputs compared.
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
        var verify = new Option<bool>("--verify") { Description = "Replay every sequence alone on a fresh single-slot engine and report the largest output difference (0 expected on CPU)" };
        var tolerance = new Option<double>("--tolerance") { Description = "Largest absolute difference --verify accepts (exit code 1 above it)", DefaultValueFactory = _ => 0 };
        var spill = new Option<bool>("--spill") { Description = "Spill idle sequences' states to host memory when all slots are busy, instead of making new sequences wait" };
        var json = new Option<FileInfo?>("--json") { Description = "Write the results to this JSON file (default: run.json in the output folder)" };
        var output = new Option<DirectoryInfo?>("--output", "-o") { Description = "Folder for run.json (default: a new ./ovs-out/run-<time>/)" };
        var seed = CommonOptions.Seed();
        var threads = CommonOptions.Threads();
        var measurement = new MeasurementOptions(perfAnalyzerShortNames: false);
        var inputs = new InputOptions(defaultVariation: 0);
        var cmd = new Command("run", "Stream N concurrent sequences of K steps through a model in this process (real batcher and engine); report throughput, latency, batching and memory.")
        {
            repository, model, engine, device, sequences, steps, inputDir, verify, tolerance, spill, json, output, seed, threads,
        };
        measurement.AddTo(cmd);
        inputs.AddTo(cmd);
        cmd.SetAction((parse, ct) => CommandGuard.RunAsync("run", () => RunAsync(new Arguments(
            parse.GetValue(repository)!, parse.GetValue(model)!, parse.GetValue(engine), parse.GetValue(device), parse.GetValue(sequences), parse.GetValue(steps),
            parse.GetResult(steps) is { Implicit: false }, parse.GetValue(inputDir), parse.GetValue(verify), parse.GetValue(tolerance), parse.GetValue(spill), parse.GetValue(json),
            parse.GetValue(output), parse.GetValue(seed), parse.GetValue(threads), measurement.Read(parse), inputs.Read(parse)), ct)));
        return cmd;
    }

    private sealed record Arguments(DirectoryInfo Repository, string Model, string? Engine, string? Device, int Sequences, int Steps, bool StepsGiven, DirectoryInfo? InputDir,
        bool Verify, double Tolerance, bool Spill, FileInfo? Json, DirectoryInfo? Output, int Seed, int Threads, MeasurementPlan Measurement, InputOptions.Choice Inputs);

    private static async Task<int> RunAsync(Arguments a, CancellationToken ct)
    {
        if (a.InputDir is not null && !a.Inputs.Synthetic) throw new UsageException("--input-dir (WAV files) and --input-data are two sources of inputs; give one");
        var providers = EngineProviders.WithThreads(a.Threads);
        var target = ModelTarget.Resolve(a.Repository.FullName, a.Model);
        var choice = EngineChoice.Parse(a.Engine ?? target.Definition.Parameters?.EngineName ?? "onnxruntime", providers, a.Device);
        var console = Consoles.Create();

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
            console.WriteLine($"verify: max abs difference {difference.MaxAbsolute:R}, max rel difference {difference.MaxRelative:R} " +
                              $"over {difference.ValuesCompared} values of {difference.StepsCompared} steps (each sequence alone vs batched)");
            if (difference.Worst is { } w && difference.MaxAbsolute > 0) console.WriteLine($"verify: largest at {w}");
        }

        {
            var file = a.Json ?? new FileInfo(Path.Combine(OutputFolder.Resolve(a.Output, "run"), "run.json"));
            var report = new RunReport
            {
                Model = target.Name,
                Version = target.VersionText,
                Input = source.Description,
                Spill = a.Spill,
                Provenance = Provenance.Now(a.Measurement, engines),
                Result = MeasurementReport.From(measurement, difference, difference is null ? null : "each sequence alone on a single-slot engine"),
            };
            ReportFiles.WriteJson(file.FullName, report);
            console.WriteLine($"wrote {file.FullName}");
        }

        if (result.Cancelled)
        {
            Console.Error.WriteLine("ovs run: cancelled; the results above are partial");
            return 130;
        }
        if (result.StepsFailed > 0)
        {
            Console.Error.WriteLine($"ovs run: {result.StepsFailed} step(s) failed; first: {result.FirstError}");
            return 1;
        }
        if (difference is not null && !(difference.MaxAbsolute <= a.Tolerance))
        {
            Console.Error.WriteLine($"ovs run: --verify found a difference of {difference.MaxAbsolute:R} (tolerance {a.Tolerance:R}) at {difference.Worst}");
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
}
