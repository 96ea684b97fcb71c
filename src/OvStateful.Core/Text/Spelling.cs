namespace OvStateful.Core.Text;

/// <summary>"Did you mean": the valid names closest to a misspelt one (edit distance, case ignored).</summary>
public static class Spelling
{
    /// <summary>
    /// Up to <paramref name="most"/> candidates nearest to <paramref name="given"/>, nearest first:
    /// the nearest one always, others only as near (or one edit further) and within a third of the
    /// name's length. A prefix or a containment counts as near.
    /// </summary>
    public static IReadOnlyList<string> Nearest(string given, IEnumerable<string> candidates, int most = 3)
    {
        var g = given.ToLowerInvariant();
        var scored = candidates
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(c => (Name: c, Distance: Score(g, c.ToLowerInvariant())))
            .OrderBy(x => x.Distance).ThenBy(x => x.Name, StringComparer.Ordinal)
            .ToList();
        if (scored.Count == 0) return [];
        var limit = Math.Max(scored[0].Distance + 1, Math.Max(2, g.Length / 3));
        var best = scored[0].Distance;
        return scored.Where((x, i) => i == 0 || (x.Distance <= best + 1 && x.Distance <= limit)).Take(most).Select(x => x.Name).ToList();
    }

    /// <summary>"did you mean a, b or c?" for the nearest candidates, or "" when there are none.</summary>
    public static string DidYouMean(string given, IEnumerable<string> candidates, int most = 3)
    {
        var near = Nearest(given, candidates, most);
        return near.Count switch
        {
            0 => "",
            1 => $"did you mean {near[0]}?",
            _ => $"did you mean {string.Join(", ", near.Take(near.Count - 1))} or {near[^1]}?",
        };
    }

    private static int Score(string given, string candidate)
    {
        var d = Levenshtein(given, candidate);
        // "--grpc" for "--grpc-port", "port" for "--http-port": shorter typings of a long name.
        if (candidate.Contains(given, StringComparison.Ordinal) || given.Contains(candidate, StringComparison.Ordinal)) d = Math.Min(d, Math.Abs(candidate.Length - given.Length) / 2 + 1);
        return d;
    }

    public static int Levenshtein(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
