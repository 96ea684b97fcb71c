namespace OvStateful.Core.Config.TextFormat;

/// <summary>
/// A parsed, schema-checked message. <see cref="TextField.Value"/> holds: string (String and
/// Enum fields; an enum by its value name), bool, long (Int32/Int64), ulong (UInt32/UInt64),
/// double (Float/Double) or <see cref="TextMessage"/> (Message). A list <c>[a, b]</c> becomes
/// one field entry per element, so repeated fields read the same however they were written.
/// </summary>
internal sealed class TextMessage(MessageSchema schema, TextPosition position)
{
    public MessageSchema Schema { get; } = schema;

    /// <summary>Where the message starts (its opening brace; 1:1 for the file's top level).</summary>
    public TextPosition Position { get; } = position;

    /// <summary>Fields in file order.</summary>
    public List<TextField> Fields { get; } = [];

    public bool Has(string name)
    {
        foreach (var f in Fields)
        {
            if (f.Field.Name == name) return true;
        }
        return false;
    }
}

/// <summary>One occurrence of a field (for lists: one element) and where it was written.</summary>
internal sealed record TextField(FieldSchema Field, TextPosition Position, object Value);
