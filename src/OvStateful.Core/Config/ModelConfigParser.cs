using OvStateful.Core.Config.TextFormat;

namespace OvStateful.Core.Config;

/// <summary>Reads Triton's config.pbtxt (protobuf text format of inference.ModelConfig) into a <see cref="ModelConfig"/>.</summary>
public static class ModelConfigParser
{
    /// <summary>
    /// Parses <paramref name="text"/>. Throws <see cref="ConfigParseException"/> (and nothing else)
    /// naming <paramref name="file"/>, the line and column, what was found and what was expected.
    /// </summary>
    public static ModelConfig Parse(string text, string file = "config.pbtxt")
    {
        ArgumentNullException.ThrowIfNull(text);
        var tree = TextFormatParser.Parse(text, file, TritonConfigSchema.ModelConfig);
        try
        {
            return ModelConfigBinder.Bind(tree);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ConfigParseException(file, 1, 1, $"internal binder error ({ex.GetType().Name}: {ex.Message})");
        }
    }

    /// <summary>Reads and parses a file; I/O failures surface as the usual I/O exceptions, syntax as <see cref="ConfigParseException"/>.</summary>
    public static ModelConfig ParseFile(string path) => Parse(File.ReadAllText(path), path);
}
