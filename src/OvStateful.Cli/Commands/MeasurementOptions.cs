using System.CommandLine;
using OvStateful.Cli.Workloads;

namespace OvStateful.Cli.Commands;

/// <summary>
/// perf_analyzer's measurement options, shared by run, compare and bench: --measurement-mode,
/// --measurement-interval (-p in bench, as perf_analyzer), --measurement-request-count,
/// --stability-percentage (-s in bench), --max-trials (-r in bench), --percentile, and our --warmup and --min-windows.
/// </summary>
internal sealed class MeasurementOptions
{
    private readonly Option<string> _mode;
    private readonly Option<int> _interval, _requestCount, _maxTrials, _minWindows;
    private readonly Option<double> _stability, _warmup, _percentile;

    /// <param name="perfAnalyzerShortNames">Give -p, -s and -r their perf_analyzer meanings (bench, where they are free).</param>
    public MeasurementOptions(bool perfAnalyzerShortNames)
    {
        var defaults = new MeasurementPlan();
        string[] Short(string name) => perfAnalyzerShortNames ? [name] : [];
        _mode = CommonOptions.Choice(new Option<string>("--measurement-mode")
        {
            Description = "time_windows (default): windows of --measurement-interval ms; count_windows: windows of at least --measurement-request-count steps; " +
                          "once: each sequence played once, every step counted, no windows (exact step counts)",
            DefaultValueFactory = _ => "time_windows",
        }, "time_windows", "count_windows", "once");
        _interval = CommonOptions.Positive(new Option<int>("--measurement-interval", Short("-p"))
        {
            Description = $"Length of a measurement window in milliseconds (perf_analyzer's, whose default is 5000). Default {defaults.IntervalMs}",
            DefaultValueFactory = _ => defaults.IntervalMs,
        });
        _requestCount = CommonOptions.Positive(new Option<int>("--measurement-request-count")
        {
            Description = $"Steps a count window holds at least (with --measurement-mode count_windows). Default {defaults.RequestCount}",
            DefaultValueFactory = _ => defaults.RequestCount,
        });
        _stability = new Option<double>("--stability-percentage", Short("-s"))
        {
            Description = $"The last 3 windows' throughput and p99 must agree within this percentage (max/min − 1), else the next window is measured. Default {defaults.StabilityPercent}",
            DefaultValueFactory = _ => defaults.StabilityPercent,
        };
        _maxTrials = CommonOptions.Positive(new Option<int>("--max-trials", Short("-r"))
        {
            Description = $"Most windows before the result is reported as unstable. Default {defaults.MaxTrials}",
            DefaultValueFactory = _ => defaults.MaxTrials,
        });
        _minWindows = CommonOptions.Positive(new Option<int>("--min-windows")
        {
            Description = $"Fewest windows measured even when the last 3 agree sooner (perf_analyzer stops at the first stable 3), so the reported ranges sample the machine's drift. " +
                          $"At least 3, at most --max-trials. Default {defaults.MinWindows}",
            DefaultValueFactory = _ => defaults.MinWindows,
        });
        _minWindows.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && int.TryParse(r.Tokens[^1].Value, out var v) && v is > 0 and < MeasurementPlan.StableWindows)
                r.AddError($"--min-windows expects at least {MeasurementPlan.StableWindows} (stability compares the last {MeasurementPlan.StableWindows} windows), not {v}");
        });
        _warmup = new Option<double>("--warmup")
        {
            Description = $"Seconds of load before the first window, not counted. Default {defaults.WarmupSeconds}",
            DefaultValueFactory = _ => defaults.WarmupSeconds,
        };
        _percentile = new Option<double>("--percentile")
        {
            Description = "The latency percentile that stability is judged on and that is reported beside p50/p90/p95/p99 (perf_analyzer's; −1: the mean, perf_analyzer's default). Default 99",
            DefaultValueFactory = _ => defaults.Percentile,
        };
        _percentile.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && double.TryParse(r.Tokens[^1].Value, System.Globalization.CultureInfo.InvariantCulture, out var v) && !(v is -1 or (> 0 and <= 100)))
                r.AddError($"--percentile expects a percentile above 0 up to 100, or -1 for the mean, not {r.Tokens[^1].Value}");
        });
        _stability.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && double.TryParse(r.Tokens[^1].Value, System.Globalization.CultureInfo.InvariantCulture, out var v) && !(v > 0))
                r.AddError($"--stability-percentage expects a percentage above 0, not {r.Tokens[^1].Value}");
        });
        _maxTrials.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && int.TryParse(r.Tokens[^1].Value, out var v) && v is > 0 and < MeasurementPlan.StableWindows)
                r.AddError($"--max-trials expects at least {MeasurementPlan.StableWindows} (stability compares the last {MeasurementPlan.StableWindows} windows), not {v}");
        });
        _warmup.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && double.TryParse(r.Tokens[^1].Value, System.Globalization.CultureInfo.InvariantCulture, out var v) && !(v >= 0))
                r.AddError($"--warmup expects seconds ≥ 0, not {r.Tokens[^1].Value}");
        });
    }

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { _mode, _interval, _requestCount, _stability, _maxTrials, _minWindows, _warmup, _percentile }) command.Options.Add(o);
    }

    /// <summary>
    /// The plan the options give. --min-windows given above --max-trials is a usage error; its
    /// default yields to a lower --max-trials (a short run asked for stays short).
    /// </summary>
    public MeasurementPlan Read(ParseResult parse)
    {
        var plan = ReadPlan(parse);
        if (plan.MinWindows <= plan.MaxTrials) return plan;
        if (parse.GetResult(_minWindows) is null or { Implicit: true }) return plan with { MinWindows = plan.MaxTrials };
        throw new UsageException($"--min-windows {plan.MinWindows} is more than --max-trials {plan.MaxTrials}; expected --min-windows ≤ --max-trials");
    }

    private MeasurementPlan ReadPlan(ParseResult parse) => new()
    {
        Mode = parse.GetValue(_mode) switch { "count_windows" => MeasurementMode.CountWindows, "once" => MeasurementMode.Once, _ => MeasurementMode.TimeWindows },
        IntervalMs = parse.GetValue(_interval),
        RequestCount = parse.GetValue(_requestCount),
        StabilityPercent = parse.GetValue(_stability),
        MaxTrials = parse.GetValue(_maxTrials),
        MinWindows = parse.GetValue(_minWindows),
        WarmupSeconds = parse.GetValue(_warmup),
        Percentile = parse.GetValue(_percentile),
    };

    /// <summary>The options as command-line arguments, for a child `ovs run` that must measure the same way (compare's rounds).</summary>
    public static IEnumerable<string> Arguments(MeasurementPlan p)
    {
        static string N(double v) => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        return
        [
            "--measurement-mode", p.Mode switch { MeasurementMode.CountWindows => "count_windows", MeasurementMode.Once => "once", _ => "time_windows" },
            "--measurement-interval", N(p.IntervalMs), "--measurement-request-count", N(p.RequestCount), "--stability-percentage", N(p.StabilityPercent),
            "--max-trials", N(p.MaxTrials), "--min-windows", N(p.MinWindows), "--warmup", N(p.WarmupSeconds), "--percentile", N(p.Percentile),
        ];
    }
}
