namespace OvStateful.Core.Config.TextFormat;

/// <summary>
/// The one error the config.pbtxt reader raises. <see cref="Problems"/> lists every problem the
/// parser found, each with the file, the 1-based line and column and what was found versus what
/// was expected; <see cref="Line"/>, <see cref="Column"/> and <see cref="Detail"/> are the first's.
/// </summary>
public sealed class ConfigParseException : Exception
{
    public ConfigParseException(string file, int line, int column, string detail)
        : base($"{file}:{line}:{column}: {detail}")
    {
        File = file;
        Line = line;
        Column = column;
        Detail = detail;
        Problems = [this];
    }

    private ConfigParseException(IReadOnlyList<ConfigParseException> problems)
        : base(string.Join("\n", problems.Select(p => p.Message)))
    {
        var first = problems[0];
        (File, Line, Column, Detail) = (first.File, first.Line, first.Column, first.Detail);
        Problems = problems;
    }

    /// <summary>One exception carrying every problem, in file order.</summary>
    internal static ConfigParseException Combine(IReadOnlyList<ConfigParseException> problems) =>
        problems.Count == 1 ? problems[0] : new ConfigParseException([.. problems.OrderBy(p => p.Line).ThenBy(p => p.Column)]);

    /// <summary>The file name as given to the parser (a path or just "config.pbtxt").</summary>
    public string File { get; }

    /// <summary>1-based line.</summary>
    public int Line { get; }

    /// <summary>1-based column, counted in UTF-16 characters (a tab counts as one).</summary>
    public int Column { get; }

    /// <summary>The message without the file:line:column prefix.</summary>
    public string Detail { get; }

    /// <summary>Every problem found (this one alone for a single problem), in file order.</summary>
    public IReadOnlyList<ConfigParseException> Problems { get; }
}
