using System.Globalization;

namespace OvStateful.Cli.Commands;

/// <summary>One load level of a bench: N concurrent sequences, or a request rate over N sequences.</summary>
/// <param name="RequestRate">Steps per second (perf_analyzer's --request-rate-range); null in concurrency mode.</param>
internal sealed record LoadLevel(int Clients, double? RequestRate)
{
    public string Label => RequestRate is { } r ? $"rate={r.ToString("0.###", CultureInfo.InvariantCulture)}" : $"n={Clients}";
}

/// <summary>perf_analyzer's --concurrency-range and --request-rate-range: start[:end[:step]], linear, end included when the steps land on it.</summary>
internal static class LoadLevels
{
    /// <summary>Most levels one bench may run (a typo such as 1:1000 should not start a thousand runs).</summary>
    public const int MaxLevels = 64;

    public static List<int> Concurrency(string text)
    {
        var parts = text.Split(':');
        if (parts.Length is < 1 or > 3 || !parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            throw new UsageException($"--concurrency-range \"{text}\" is not start[:end[:step]] with whole numbers, e.g. 4, 1:16 or 1:64:8");
        var start = int.Parse(parts[0], CultureInfo.InvariantCulture);
        var end = parts.Length >= 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : start;
        var step = parts.Length == 3 ? int.Parse(parts[2], CultureInfo.InvariantCulture) : 1;
        if (start < 1 || end < start || step < 1)
            throw new UsageException($"--concurrency-range \"{text}\": expected 1 ≤ start ≤ end and step ≥ 1 (perf_analyzer's end 0, search until the latency limit, is not supported)");
        var levels = new List<int>();
        for (var n = start; n <= end; n += step) levels.Add(n);
        return Checked(levels, "--concurrency-range", text);
    }

    public static List<double> RequestRate(string text)
    {
        var parts = text.Split(':');
        var values = new double[parts.Length];
        if (parts.Length is < 1 or > 3 || !parts.Select((p, i) => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out values[i])).All(ok => ok))
            throw new UsageException($"--request-rate-range \"{text}\" is not start[:end[:step]] in steps per second, e.g. 100, 100:400:100 or 0.5:2:0.5");
        var start = values[0];
        var end = parts.Length >= 2 ? values[1] : start;
        var step = parts.Length == 3 ? values[2] : 1;
        if (!(start > 0) || end < start || !(step > 0))
            throw new UsageException($"--request-rate-range \"{text}\": expected 0 < start ≤ end and step > 0");
        var levels = new List<double>();
        // Counted in steps, so 0.1 + 0.1 + 0.1 does not drift past the end.
        for (var i = 0; start + i * step <= end * (1 + 1e-12) && levels.Count <= MaxLevels; i++) levels.Add(Math.Round(start + i * step, 9));
        return Checked(levels, "--request-rate-range", text);
    }

    private static List<T> Checked<T>(List<T> levels, string option, string text) =>
        levels.Count <= MaxLevels ? levels : throw new UsageException($"{option} \"{text}\" gives more than {MaxLevels} levels (use a larger step)");

    /// <summary>perf_analyzer's --sequence-id-range start[:end]: ids from start, wrapping before end (exclusive) when given.</summary>
    public static (ulong Start, ulong? End) SequenceIdRange(string text)
    {
        var parts = text.Split(':');
        if (parts.Length is < 1 or > 2 || !parts.All(p => ulong.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            throw new UsageException($"--sequence-id-range \"{text}\" is not start[:end] with whole numbers, e.g. 1000 or 1:1025");
        var start = ulong.Parse(parts[0], CultureInfo.InvariantCulture);
        ulong? end = parts.Length == 2 ? ulong.Parse(parts[1], CultureInfo.InvariantCulture) : null;
        if (start == 0) throw new UsageException("--sequence-id-range starts at 0, which is not a correlation id (0 means none); start at 1 or more");
        return (start, end);
    }
}
