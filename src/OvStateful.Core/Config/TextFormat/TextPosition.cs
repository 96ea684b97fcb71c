namespace OvStateful.Core.Config.TextFormat;

/// <summary>A 1-based line and column in a text-format file.</summary>
public readonly record struct TextPosition(int Line, int Column)
{
    public override string ToString() => $"{Line}:{Column}";
}
