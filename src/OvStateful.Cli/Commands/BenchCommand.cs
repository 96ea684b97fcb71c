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
        var url = new Option<Uri?>("--url", "-u")
        {
            Description = "Server address: the HTTP port for -i http, the gRPC port for -i grpc (perf_analyzer's -u; default localhost:8000 for http, localhost:8001 for grpc)",
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
        var streaming = new Option<bool>("--streaming") { Description = "perf_analyzer's: gRPC streaming (ModelStreamInfer), only with -i grpc. Ours streams by default (--grpc-mode stream); perf_analyzer's default is unary" };
        var grpcStreams = CommonOptions.Positive(new Option<int?>("--grpc-streams")
        {
            Description = "Stream mode: let the sequences share this many ModelStreamInfer streams (responses matched by request id), as a gateway multiplexing many calls does. Default: one stream per sequence",
        });
        var sequences = CommonOptions.Sequences(4);
        var steps = CommonOptions.Steps(100, "Steps per sequence (perf_analyzer's --sequence-length, whose default is 20), varied by --sequence-length-variation; with --measurement-mode once the run ends when every sequence has sent them");
        steps.Aliases.Add("--sequence-length");
        var duration = new Option<double?>("--duration", "-t") { Description = "Run for this many seconds in one pass (no windows), each client starting a new sequence (of --steps steps) when one ends" };
        duration.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && !double.TryParse(r.Tokens[^1].Value, System.Globalization.CultureInfo.InvariantCulture, out _)) return;
            if (r.GetValueOrDefault<double?>() is { } d && !(d > 0)) r.AddError($"--duration must be more than 0 seconds (got {d})");
        });
        var firstId = new Option<ulong?>("--sequence-id-start") { Description = "Correlation id of the first sequence; the others count up from it. Default 1" };
        var idRange = new Option<string?>("--sequence-id-range") { Description = "perf_analyzer's start[:end]: ids count up from start and wrap before end (exclusive); a wrapped id a live sequence holds is skipped. Default 1, no end" };
        var stringIds = new Option<bool>("--string-ids") { Description = "Send correlation ids as strings (for models whose CORRID is TYPE_STRING)" };
        var output = new Option<DirectoryInfo?>("--output", "-o") { Description = "Folder for bench.json, bench.csv and bench.svg (default: a new ./ovs-out/bench-<time>/)" };
        var report = new Option<FileInfo?>("--latency-report-file", "-f") { Description = "Also write perf_analyzer's latency report CSV here, in its column layout (one row per level)" };
        var seed = CommonOptions.Seed();
        var range = new Option<string?>("--concurrency-range")
        {
            Description = "Measure several concurrency levels one after another, as perf_analyzer does: start[:end[:step]] (linear, step 1 by default), " +
                          "e.g. 1:16:4 → 1, 5, 9, 13. Instead of --sequences; one row per level in the files",
        };
        var rateRange = new Option<string?>("--request-rate-range")
        {
            Description = "perf_analyzer's request-rate mode: start[:end[:step]] steps per second, sent on a schedule over --num-of-sequences sequences whatever the answers " +
                          "(one step in flight per sequence, as perf_analyzer's --serial-sequences); instead of --concurrency-range",
        };
        var numSequences = CommonOptions.Positive(new Option<int>("--num-of-sequences")
        {
            Description = "Request-rate mode: concurrent sequences that carry the steps (perf_analyzer's). Default 4",
            DefaultValueFactory = _ => 4,
        });
        var distribution = CommonOptions.Choice(new Option<string>("--request-distribution")
        {
            Description = "Request-rate mode: gaps between steps, constant or poisson (perf_analyzer's). Default constant",
            DefaultValueFactory = _ => "constant",
        }, "constant", "poisson");
        var measurement = new MeasurementOptions(perfAnalyzerShortNames: true);
        var inputs = new InputOptions(defaultVariation: 20);
        var cmd = new Command("bench", "Load-test a running server (perf_analyzer-style sequence mode): N concurrent sequences streaming steps over HTTP or gRPC.")
        {
            url, model, protocol, format, grpcMode, streaming, grpcStreams, sequences, range, rateRange, numSequences, distribution, steps, duration, firstId, idRange, stringIds,
            output, report, seed,
        };
        measurement.AddTo(cmd);
        inputs.AddTo(cmd);
        cmd.SetAction((parse, ct) => CommandGuard.RunAsync("bench", () => RunAsync(new Arguments(
            parse.GetValue(url), parse.GetValue(model)!, parse.GetValue(protocol)!, parse.GetValue(format)!, parse.GetValue(grpcMode)!, parse.GetValue(streaming),
            parse.GetResult(grpcMode) is { Implicit: false }, parse.GetValue(grpcStreams), parse.GetValue(sequences),
            parse.GetValue(steps), parse.GetResult(steps) is { Implicit: false }, parse.GetValue(duration), parse.GetValue(firstId), parse.GetValue(idRange), parse.GetValue(stringIds),
            parse.GetValue(output), parse.GetValue(report), parse.GetValue(seed), parse.GetValue(range), parse.GetValue(rateRange), parse.GetValue(numSequences),
            parse.GetValue(distribution) == "poisson", measurement.Read(parse), inputs.Read(parse)), ct)));
        return cmd;
    }

    private sealed record Arguments(Uri? Url, string Model, string Protocol, string HttpFormat, string GrpcMode, bool Streaming, bool GrpcModeGiven, int? GrpcStreams,
        int Sequences, int Steps, bool StepsGiven, double? Duration, ulong? FirstId, string? IdRange, bool StringIds, DirectoryInfo? Output, FileInfo? LatencyReport,
        int Seed, string? ConcurrencyRange, string? RequestRateRange, int NumOfSequences, bool Poisson, MeasurementPlan Measurement, InputOptions.Choice Inputs);

    private static async Task<int> RunAsync(Arguments a, CancellationToken ct)
    {
        if (a.Streaming && a.Protocol != "grpc") throw new UsageException("--streaming is only valid with -i grpc (as in perf_analyzer)");
        if (a.Streaming && a.GrpcModeGiven && a.GrpcMode != "stream") throw new UsageException("--streaming and --grpc-mode unary contradict each other; give one");
        if (a.GrpcStreams is not null && (a.Protocol != "grpc" || a.GrpcMode != "stream"))
            throw new UsageException($"--grpc-streams applies to --protocol grpc --grpc-mode stream (got --protocol {a.Protocol}{(a.Protocol == "grpc" ? " --grpc-mode " + a.GrpcMode : "")})");
        if (a.ConcurrencyRange is not null && a.RequestRateRange is not null) throw new UsageException("--concurrency-range and --request-rate-range are two modes; give one (as in perf_analyzer)");
        if (a.FirstId is not null && a.IdRange is not null) throw new UsageException("--sequence-id-start and --sequence-id-range both set the first id; give one");
        var (idStart, idEnd) = a.IdRange is { } ids ? LoadLevels.SequenceIdRange(ids) : (a.FirstId ?? 1, (ulong?)null);
        if (idStart == 0 && !a.StringIds) throw new UsageException("--sequence-id-start 0 is not a correlation id (0 means none); start at 1 or more");
        var levels = a.RequestRateRange is { } rates ? LoadLevels.RequestRate(rates).Select(r => new LoadLevel(a.NumOfSequences, r)).ToList()
            : (a.ConcurrencyRange is { } range ? LoadLevels.Concurrency(range) : [a.Sequences]).Select(n => new LoadLevel(n, null)).ToList();
        var serverUrl = a.Url ?? new Uri(a.Protocol == "grpc" ? "http://localhost:8001" : "http://localhost:8000");
        await using var protocol = Protocols.Create(a.Protocol, serverUrl, a.HttpFormat, a.GrpcMode, a.GrpcStreams);
        var statistics = Protocols.Statistics(protocol, serverUrl);
        using var ownStatistics = statistics as IDisposable;
        var remote = await protocol.MetadataAsync(a.Model, ct).ConfigureAwait(false);
        var console = Consoles.Create();
        var duration = a.Duration is { } d ? TimeSpan.FromSeconds(d) : (TimeSpan?)null;
        var label = a.Protocol == "http" ? $"http-{a.HttpFormat}" : $"grpc-{a.GrpcMode}" + (a.GrpcStreams is { } n ? $"-{n}-streams" : "");
        var lengths = new SequenceLengths(a.Steps, a.Inputs.VariationPercent);
        var load = a.RequestRateRange is not null
            ? $"{string.Join(", ", levels.Select(l => l.RequestRate!.Value.ToString("0.###", CultureInfo.InvariantCulture)))} steps/s over {a.NumOfSequences} sequences ({(a.Poisson ? "poisson" : "constant")} gaps)"
            : $"{string.Join(", ", levels.Select(l => l.Clients))} concurrent sequences";
        console.WriteLine($"{remote.Name} at {serverUrl} over {protocol.Name}: {load} of {lengths.Description}" +
                          (duration is { } t ? $" for {t.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s" : "") +
                          $", inputs {string.Join(", ", remote.Inputs.Select(i => $"{i.Name} {i.DataType.WireName()} [{string.Join(",", i.RequestShape)}]"))}");

        var rows = new List<MeasurementReport>();
        string? inputs = null;
        var nextId = idStart;
        foreach (var level in levels)
        {
            // More source sequences than clients, so that cycling clients see varied lengths (and streams round-robin).
            var source = a.Inputs.Source(remote.Inputs, level.Clients * 16, a.Steps, a.StepsGiven, a.Seed);
            inputs ??= source.Description;
            var probe = new ServerProbe(c => statistics.CountersAsync(remote.Name, c));
            var windowed = duration is null && a.Measurement.Mode != MeasurementMode.Once;
            var settings = new WorkloadSettings
            {
                Clients = level.Clients, Duration = duration, FirstSequenceId = nextId, SequenceIdEnd = idEnd, StringIds = a.StringIds, Measurement = a.Measurement,
                RequestRate = level.RequestRate, PoissonArrivals = a.Poisson, Seed = a.Seed, OnWindowBoundary = windowed ? probe.ReadAsync : null,
            };
            var workload = new StreamingWorkload(source, settings, _ => protocol.CreateClient(remote));
            if (!windowed) await probe.ReadAsync(ct).ConfigureAwait(false);
            var run = workload.RunAsync(ct);
            await ProgressDisplay.ShowAsync($"bench {level.Label}", () => workload.Completed, workload.TotalSteps, duration, run).ConfigureAwait(false);
            var result = await run.ConfigureAwait(false);
            if (!windowed) await probe.ReadAsync(CancellationToken.None).ConfigureAwait(false);
            // The server's counters are cumulative: the difference over the same windows as the
            // client's figures (all the windows), or over the whole pass. Other clients' steps count too.
            var server = probe.Last(windowed ? result.Windowed?.Windows.Count ?? 0 : 1);
            var latency = result.Windowed?.Latency ?? result.Latency;
            var breakdown = server is { } sv ? ServerSideReport.From(sv.Delta, latency.MeanMs) : null;
            MeasurementPrinter.Print(console, $"{remote.Name} over {protocol.Name}, " + (level.RequestRate is { } rr ? $"{rr.ToString("0.###", CultureInfo.InvariantCulture)} steps/s" : $"{level.Clients} concurrent"),
                result, server?.Batches, batchesLabel: windowed ? "server batches (last windows)" : "server batches", server: breakdown);
            rows.Add(MeasurementReport.From(levels.Count > 1 ? $"{label} {level.Label}" : label, result) with
            {
                Batches = server is { } b ? BatchSizeReport.From(b.Batches) : null,
                Server = breakdown,
            });
            // Later levels never reuse an id an earlier level used (a server may still hold it briefly), unless a range bounds them.
            if (idEnd is null) nextId += (ulong)result.Sequences;
            if (result.Cancelled) break; // Ctrl+C: report the levels measured so far
        }

        var folder = OutputFolder.Resolve(a.Output, "bench");
        var json = Path.Combine(folder, "bench.json");
        var csv = Path.Combine(folder, "bench.csv");
        var svg = Path.Combine(folder, "bench.svg");
        ReportFiles.WriteJson(json, new BenchReport
        {
            Url = serverUrl.ToString(),
            Model = remote.Name,
            Protocol = protocol.Name,
            StepsPerSequence = a.Steps,
            SequenceLengthVariation = a.Inputs.VariationPercent,
            Input = inputs,
            DurationSeconds = a.Duration,
            Provenance = Provenance.Now(a.Duration is null ? a.Measurement : null),
            Results = rows,
        });
        ReportFiles.WriteCsv(csv, rows);
        var written = new List<string> { json, csv, svg };
        if (a.LatencyReport is { } f)
        {
            LatencyReportCsv.Write(f.FullName, rows, a.RequestRateRange is not null, a.Measurement.Percentile);
            written.Add(f.FullName);
        }
        var title = $"ovs bench: {remote.Name} over {protocol.Name}";
        if (rows.Count == 1) MeasurementCharts.WriteRun(svg, $"{title}, {levels[0].Label}", rows[0]);
        else MeasurementCharts.WriteSweep(svg, title, rows, levels.Select(l => l.RequestRate ?? l.Clients).ToList(), a.RequestRateRange is not null);
        console.WriteLine($"wrote {string.Join(", ", written)}");

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
}

/// <summary>The JSON that <c>ovs bench</c> writes.</summary>
internal sealed record BenchReport
{
    public string Command { get; init; } = "bench";
    public required string Url { get; init; }
    public required string Model { get; init; }
    public required string Protocol { get; init; }
    public int StepsPerSequence { get; init; }
    /// <summary>Each sequence's length varies by up to this percentage of <see cref="StepsPerSequence"/> (perf_analyzer's --sequence-length-variation).</summary>
    public double SequenceLengthVariation { get; init; }
    /// <summary>"synthetic (seed 1)", "zeros" or the input data streams.</summary>
    public string? Input { get; init; }
    public double? DurationSeconds { get; init; }
    public required Provenance Provenance { get; init; }
    /// <summary>One measurement per concurrency level (one, unless --concurrency-range).</summary>
    public required IReadOnlyList<MeasurementReport> Results { get; init; }
}
