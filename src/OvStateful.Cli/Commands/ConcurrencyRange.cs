using System.Globalization;

namespace OvStateful.Cli.Commands;

/// <summary>perf_analyzer's --concurrency-range: start:end[:step], linear, end included when the steps land on it.</summary>
internal static class ConcurrencyRange
{
    /// <summary>Most levels one bench may run (a typo such as 1:1000 should not start a thousand runs).</summary>
    public const int MaxLevels = 64;

    public static List<int> Parse(string text)
    {
        var parts = text.Split(':');
        if (parts.Length is < 2 or > 3 || !parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            throw new UsageException($"--concurrency-range \"{text}\" is not start:end[:step] with whole numbers, e.g. 1:16 or 1:64:8");
        var start = int.Parse(parts[0], CultureInfo.InvariantCulture);
        var end = int.Parse(parts[1], CultureInfo.InvariantCulture);
        var step = parts.Length == 3 ? int.Parse(parts[2], CultureInfo.InvariantCulture) : 1;
        if (start < 1 || end < start || step < 1)
            throw new UsageException($"--concurrency-range \"{text}\": expected 1 ≤ start ≤ end and step ≥ 1");
        var levels = new List<int>();
        for (var n = start; n <= end; n += step) levels.Add(n);
        if (levels.Count > MaxLevels)
            throw new UsageException($"--concurrency-range \"{text}\" gives {levels.Count} levels; at most {MaxLevels} (use a larger step)");
        return levels;
    }
}
