using System.CommandLine;
using System.Globalization;
using OvStateful.Cli.Charts;
using OvStateful.Cli.Remote;
using OvStateful.Cli.Reports;
using OvStateful.Cli.Terminal;
using OvStateful.Cli.Workloads;
using OvStateful.Core.Tensors;
using Spectre.Console;

namespace OvStateful.Cli.Commands;

/// <summary>
/// <c>ovs bench</c>: a load generator in the spirit of Triton's perf_analyzer sequence mode
/// against a running server: N concurrent sequences, each sending its next step when the
/// previous one answered, with sequence_id / sequence_start / sequence_end; the inputs are
/// shaped from the model's metadata, so any model works. Throughput, latency percentiles and
/// errors by kind; bench.json, bench.csv and bench.svg in the output folder.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var url = new Option<Uri>("--url", "-u")
        {
            Description = "Server address: the HTTP port for --protocol http (e.g. http://127.0.0.1:8000), the gRPC port for grpc (e.g. http://127.0.0.1:8001)",
            Required = true,
            CustomParser = r =>
            {
                var text = r.Tokens.Single().Value;
                if (!text.Contains("://", StringComparison.Ordinal)) text = "http://" + text;
                if (Uri.TryCreate(text, UriKind.Absolute, out var u) && u.Scheme == Uri.UriSchemeHttp) return u;
                r.AddError($"--url {r.Tokens.Single().Value} is not an http:// address; expected e.g. http://127.0.0.1:8000 (https is not supported)");
                return null;
            },
        };
        var model = new Option<string>("--model", "-m") { Description = "Model name as the server serves it", Required = true };
        var protocol = CommonOptions.Choice(new Option<string>("--protocol", "-i") { Description = "Protocol: http (KServe v2 REST) or grpc (KServe v2 gRPC, h2c)", DefaultValueFactory = _ => "http" }, "http", "grpc");
        var format = CommonOptions.Choice(new Option<string>("--http-format") { Description = "HTTP tensor encoding: binary (Triton's binary tensor data extension) or json", DefaultValueFactory = _ => "binary" }, "binary", "json");
        var grpcMode = CommonOptions.Choice(new Option<string>("--grpc-mode") { Description = "gRPC call: stream (one ModelStreamInfer stream per sequence, as Triton's sequence clients do) or unary (ModelInfer per step)", DefaultValueFactory = _ => "stream" }, "stream", "unary");
        var grpcStreams = CommonOptions.Positive(new Option<int?>("--grpc-streams")
        {
            Description = "Stream mode: let the sequences share this many ModelStreamInfer streams (responses matched by request id), as a gateway multiplexing many calls does. Default: one stream per sequence",
        });
        var sequences = CommonOptions.Sequences(4);
        var steps = CommonOptions.Steps(100, "Steps per sequence (perf_analyzer's --sequence-length); with --measurement-mode once the run ends when every sequence has sent them");
        steps.Aliases.Add("--sequence-length");
        var duration = new Option<double?>("--duration", "-t") { Description = "Run for this many seconds in one pass (no windows), each client starting a new sequence (of --steps steps) when one ends" };
        duration.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && !double.TryParse(r.Tokens[^1].Value, System.Globalization.CultureInfo.InvariantCulture, out _)) return;
            if (r.GetValueOrDefault<double?>() is { } d && !(d > 0)) r.AddError($"--duration must be more than 0 seconds (got {d})");
        });
        var firstId = new Option<ulong>("--sequence-id-start") { Description = "Correlation id of the first sequence; the others count up from it", DefaultValueFactory = _ => 1 };
        var stringIds = new Option<bool>("--string-ids") { Description = "Send correlation ids as strings (for models whose CORRID is TYPE_STRING)" };
        var output = new Option<DirectoryInfo?>("--output", "-o") { Description = "Folder for bench.json, bench.csv and bench.svg (default: a new ./ovs-out/bench-<time>/)" };
        var seed = CommonOptions.Seed();
        var range = new Option<string?>("--concurrency-range")
        {
            Description = "Measure several concurrency levels one after another, as perf_analyzer does: start:end[:step] (linear, step 1 by default), " +
                          "e.g. 1:16:4 → 1, 5, 9, 13. Instead of --sequences; one row per level in the files",
        };
        var measurement = new MeasurementOptions(perfAnalyzerShortNames: true);
        var cmd = new Command("bench", "Load-test a running server (perf_analyzer-style sequence mode): N concurrent sequences streaming steps over HTTP or gRPC.")
        {
            url, model, protocol, format, grpcMode, grpcStreams, sequences, range, steps, duration, firstId, stringIds, output, seed,
        };
        measurement.AddTo(cmd);
        cmd.SetAction((parse, ct) => CommandGuard.RunAsync("bench", () => RunAsync(new Arguments(
            parse.GetValue(url)!, parse.GetValue(model)!, parse.GetValue(protocol)!, parse.GetValue(format)!, parse.GetValue(grpcMode)!, parse.GetValue(grpcStreams), parse.GetValue(sequences),
            parse.GetValue(steps), parse.GetValue(duration), parse.GetValue(firstId), parse.GetValue(stringIds), parse.GetValue(output), parse.GetValue(seed), parse.GetValue(range), measurement.Read(parse)), ct)));
        return cmd;
    }

    private sealed record Arguments(Uri Url, string Model, string Protocol, string HttpFormat, string GrpcMode, int? GrpcStreams, int Sequences, int Steps, double? Duration,
        ulong FirstId, bool StringIds, DirectoryInfo? Output, int Seed, string? ConcurrencyRange, MeasurementPlan Measurement);

    private static async Task<int> RunAsync(Arguments a, CancellationToken ct)
    {
        if (a.FirstId == 0 && !a.StringIds) throw new UsageException("--sequence-id-start 0 is not a correlation id (0 means none); start at 1 or more");
        if (a.GrpcStreams is not null && (a.Protocol != "grpc" || a.GrpcMode != "stream"))
            throw new UsageException($"--grpc-streams applies to --protocol grpc --grpc-mode stream (got --protocol {a.Protocol}{(a.Protocol == "grpc" ? " --grpc-mode " + a.GrpcMode : "")})");
        var levels = a.ConcurrencyRange is { } range ? ConcurrencyRange.Parse(range) : [a.Sequences];
        await using var protocol = Protocols.Create(a.Protocol, a.Url, a.HttpFormat, a.GrpcMode, a.GrpcStreams);
        var remote = await protocol.MetadataAsync(a.Model, ct).ConfigureAwait(false);
        var console = Consoles.Create();
        var duration = a.Duration is { } d ? TimeSpan.FromSeconds(d) : (TimeSpan?)null;
        var label = a.Protocol == "http" ? $"http-{a.HttpFormat}" : $"grpc-{a.GrpcMode}" + (a.GrpcStreams is { } n ? $"-{n}-streams" : "");
        console.WriteLine($"{remote.Name} at {a.Url} over {protocol.Name}: {string.Join(", ", levels)} concurrent sequences of {a.Steps} steps" +
                          (duration is { } t ? $" for {t.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s" : "") +
                          $", inputs {string.Join(", ", remote.Inputs.Select(i => $"{i.Name} {i.DataType.WireName()} [{string.Join(",", i.RequestShape)}]"))}");

        var rows = new List<MeasurementReport>();
        var nextId = a.FirstId;
        foreach (var clients in levels)
        {
            var source = new SyntheticSteps(remote.Inputs, clients, a.Steps, a.Seed);
            var settings = new WorkloadSettings { Clients = clients, Duration = duration, FirstSequenceId = nextId, StringIds = a.StringIds, Measurement = a.Measurement };
            var workload = new StreamingWorkload(source, settings, _ => protocol.CreateClient(remote));
            // The server's batch statistics are cumulative: read them around the run. Other clients'
            // steps in the same window are counted too.
            var statsBefore = await protocol.BatchExecutionsAsync(remote.Name, ct).ConfigureAwait(false);
            var run = workload.RunAsync(ct);
            await ProgressDisplay.ShowAsync($"bench n={clients}", () => workload.Completed, workload.TotalSteps, duration, run).ConfigureAwait(false);
            var result = await run.ConfigureAwait(false);
            var statsAfter = statsBefore is null ? null : await protocol.BatchExecutionsAsync(remote.Name, ct).ConfigureAwait(false);
            var batches = statsBefore is not null && statsAfter is not null ? BatchSizes.Between(statsBefore, statsAfter) : null;
            MeasurementPrinter.Print(console, $"{remote.Name} over {protocol.Name}, {clients} concurrent", result, batches, batchesLabel: "server batches");
            rows.Add(MeasurementReport.From(levels.Count > 1 ? $"{label} n={clients}" : label, result) with
            {
                Batches = batches is null ? null : BatchSizeReport.From(batches),
            });
            // Later levels never reuse an id an earlier level used (a server may still hold it briefly).
            nextId += (ulong)result.Sequences;
            if (result.Cancelled) break; // Ctrl+C: report the levels measured so far
        }

        var folder = OutputFolder.Resolve(a.Output, "bench");
        var json = Path.Combine(folder, "bench.json");
        var csv = Path.Combine(folder, "bench.csv");
        var svg = Path.Combine(folder, "bench.svg");
        ReportFiles.WriteJson(json, new BenchReport
        {
            Url = a.Url.ToString(),
            Model = remote.Name,
            Protocol = protocol.Name,
            StepsPerSequence = a.Steps,
            DurationSeconds = a.Duration,
            Provenance = Provenance.Now(a.Duration is null ? a.Measurement : null),
            Results = rows,
        });
        ReportFiles.WriteCsv(csv, rows);
        if (rows.Count == 1)
            BarChartSvg.Write(svg, $"ovs bench: {remote.Name} over {protocol.Name}, {levels[0]} sequences", BenchPanels(rows[0]));
        else
            BarChartSvg.Write(svg, $"ovs bench: {remote.Name} over {protocol.Name}, concurrency {string.Join(", ", levels)}", MeasurementCharts.Panels(rows, memory: false));
        console.WriteLine($"wrote {json}, {csv}, {svg}");

        if (ct.IsCancellationRequested)
        {
            Console.Error.WriteLine("ovs bench: cancelled; the results above are partial (the sequences it started were sent their END)");
            return 130;
        }
        var failed = rows.Where(r => r.StepsFailed > 0).ToList();
        if (failed.Count > 0)
        {
            var errors = failed.SelectMany(r => r.ErrorsByKind).GroupBy(kv => kv.Key).Select(g => $"{g.Key}: {g.Sum(kv => kv.Value)}");
            Console.Error.WriteLine($"ovs bench: {failed.Sum(r => r.StepsFailed)} step(s) failed ({string.Join(", ", errors)}); first: {failed[0].FirstError}");
            return 1;
        }
        return 0;
    }

    /// <summary>Latency percentiles side by side, throughput, and the errors by kind when there were any.</summary>
    private static List<BarPanel> BenchPanels(MeasurementReport r)
    {
        var l = r.LatencyMs;
        var panels = new List<BarPanel>
        {
            new("latency", "ms", [new("p50", l.P50Ms), new("p90", l.P90Ms), new("p95", l.P95Ms), new("p99", l.P99Ms), new("max", l.MaxMs)], "G3"),
            new("throughput", "steps/s", [new(r.Engine, r.StepsPerSecond)], "F0"),
        };
        if (r.Timeline is { StepsPerSecond.Count: > 1 } t)
        {
            string At(int i) => (i * t.BucketSeconds).ToString(t.BucketSeconds >= 1 ? "F0" : "F1", CultureInfo.InvariantCulture) + " s";
            panels.Add(new BarPanel("throughput over time", "steps/s", t.StepsPerSecond.Select((v, i) => new Bar(At(i), v)).ToList(), "F0"));
            panels.Add(new BarPanel("p99 over time", "ms", t.P99Ms.Select((v, i) => new Bar(At(i), v)).ToList(), "G3"));
        }
        panels.Add(r.ErrorsByKind.Count > 0
            ? new BarPanel("errors", "steps", r.ErrorsByKind.Select(kv => new Bar(kv.Key, kv.Value)).ToList(), "F0")
            : new BarPanel("steps", "count", [new("ok", r.StepsOk), new("failed", r.StepsFailed)], "F0"));
        return panels;
    }
}

/// <summary>The JSON that <c>ovs bench</c> writes.</summary>
internal sealed record BenchReport
{
    public string Command { get; init; } = "bench";
    public required string Url { get; init; }
    public required string Model { get; init; }
    public required string Protocol { get; init; }
    public int StepsPerSequence { get; init; }
    public double? DurationSeconds { get; init; }
    public required Provenance Provenance { get; init; }
    /// <summary>One measurement per concurrency level (one, unless --concurrency-range).</summary>
    public required IReadOnlyList<MeasurementReport> Results { get; init; }
}
