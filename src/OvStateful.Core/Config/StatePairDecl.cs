using OvStateful.Core.Tensors;

namespace OvStateful.Core.Config;

/// <summary>Where a state pair was declared.</summary>
public enum StatePairSource
{
    /// <summary>The Triton stateful backend's <c>state_pairs</c> parameter: names only, type and shape come from the model file.</summary>
    StatePairsParameter,
    /// <summary>Triton's implicit state: <c>sequence_batching { state [ … ] }</c>, with type, dims and initial state.</summary>
    SequenceBatchingState,
}

/// <summary>
/// A declared state pair <c>&lt;&lt;&lt;InputName, OutputName&gt;&gt;&gt;</c>, whichever way the config wrote it.
/// <see cref="DataType"/> and <see cref="Dims"/> are null when the declaration does not give them
/// (the state_pairs parameter); <see cref="Dims"/> are as written in the config.
/// </summary>
public sealed record StatePairDecl(
    string InputName,
    string OutputName,
    DataType? DataType,
    IReadOnlyList<long>? Dims,
    IReadOnlyList<InitialState> InitialState,
    StatePairSource Source,
    string Location);

/// <summary>The <c>state_pairs</c> parameter text: <c>&lt;&lt;&lt;In, Out&gt;&gt;&gt;</c> pairs separated by whitespace or commas.</summary>
public static class StatePairsText
{
    /// <summary>Parses the text; on failure <paramref name="error"/> says what was found where and what was expected.</summary>
    public static bool TryParse(string text, out List<(string Input, string Output)> pairs, out string error)
    {
        pairs = [];
        error = "";
        var i = 0;
        while (true)
        {
            while (i < text.Length && (char.IsWhiteSpace(text[i]) || text[i] == ',')) i++;
            if (i >= text.Length) return true;
            if (string.CompareOrdinal(text, i, "<<<", 0, 3) != 0)
            {
                error = $"expected \"<<<\" at character {i + 1}, found \"{Excerpt(text, i)}\"; write pairs as <<<Input, Output>>>";
                return false;
            }
            var open = i;
            i += 3;
            var close = text.IndexOf(">>>", i, StringComparison.Ordinal);
            if (close < 0)
            {
                error = $"the pair opened at character {open + 1} has no closing \">>>\"";
                return false;
            }
            var inner = text[i..close];
            var parts = inner.Split(',');
            if (parts.Length != 2)
            {
                error = $"the pair \"{text[open..(close + 3)]}\" must hold exactly two names separated by one ',', found {parts.Length}";
                return false;
            }
            var input = parts[0].Trim();
            var output = parts[1].Trim();
            foreach (var name in new[] { input, output })
            {
                if (name.Length == 0 || name.Any(c => char.IsWhiteSpace(c) || c is '<' or '>'))
                {
                    error = $"the pair \"{text[open..(close + 3)]}\" has an invalid tensor name \"{name}\"; names are non-empty and contain no spaces, '<' or '>'";
                    return false;
                }
            }
            pairs.Add((input, output));
            i = close + 3;
        }
    }

    private static string Excerpt(string text, int at) => text.Length - at > 20 ? text.Substring(at, 20) + "..." : text[at..];
}
