using OvStateful.Core.Config.TextFormat;

namespace OvStateful.Core.Config;

/// <summary>A parsed config.pbtxt and where each of its fields was written.</summary>
/// <param name="Positions">Config path (as <see cref="ValidationProblem.Location"/> spells it) → line:column.</param>
public sealed record ParsedConfig(ModelConfig Config, string File, IReadOnlyDictionary<string, TextPosition> Positions)
{
    /// <summary>
    /// "file:line:column" of <paramref name="path"/>, or of its nearest written ancestor (a
    /// problem about a missing field points at the message that lacks it); the file alone when
    /// nothing of it was written.
    /// </summary>
    public string Locate(string path)
    {
        for (var p = path; p.Length > 0; p = Parent(p))
        {
            if (Positions.TryGetValue(p, out var at)) return $"{File}:{at.Line}:{at.Column}";
        }
        return File;
    }

    private static string Parent(string path)
    {
        var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
        return cut <= 0 ? "" : path[..cut];
    }
}

/// <summary>Reads Triton's config.pbtxt (protobuf text format of inference.ModelConfig) into the generated <see cref="ModelConfig"/>.</summary>
public static class ModelConfigParser
{
    /// <summary>
    /// Parses <paramref name="text"/>. Throws <see cref="ConfigParseException"/> (and nothing else)
    /// listing every problem, each naming <paramref name="file"/>, the line and column, what was
    /// found and what was expected.
    /// </summary>
    public static ModelConfig Parse(string text, string file = "config.pbtxt") => ParseWithPositions(text, file).Config;

    public static ParsedConfig ParseWithPositions(string text, string file = "config.pbtxt")
    {
        ArgumentNullException.ThrowIfNull(text);
        var (message, positions) = TextFormatParser.Parse(text, file, ModelConfig.Descriptor);
        return new ParsedConfig((ModelConfig)message, file, positions);
    }

    /// <summary>Reads and parses a file; I/O failures surface as the usual I/O exceptions, syntax as <see cref="ConfigParseException"/>.</summary>
    public static ModelConfig ParseFile(string path) => Parse(File.ReadAllText(path), path);

    public static ParsedConfig ParseFileWithPositions(string path) => ParseWithPositions(File.ReadAllText(path), path);
}
