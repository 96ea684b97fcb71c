namespace OvStateful.Core.Config.TextFormat;

/// <summary>
/// The one error the config.pbtxt reader raises: the file, the 1-based line and column where
/// the problem was found, and what was found versus what was expected.
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
    }

    /// <summary>The file name as given to the parser (a path or just "config.pbtxt").</summary>
    public string File { get; }

    /// <summary>1-based line.</summary>
    public int Line { get; }

    /// <summary>1-based column, counted in UTF-16 characters (a tab counts as one).</summary>
    public int Column { get; }

    /// <summary>The message without the file:line:column prefix.</summary>
    public string Detail { get; }
}
