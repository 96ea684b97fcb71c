namespace OvStateful.Core.Config.TextFormat;

/// <summary>The protobuf field types that text format distinguishes.</summary>
internal enum FieldKind
{
    String,
    Bool,
    Int32,
    Int64,
    UInt32,
    UInt64,
    Float,
    Double,
    Enum,
    Message,
}

/// <summary>A protobuf enum: its value names with their numbers.</summary>
internal sealed class EnumSchema(string name, params (string Name, int Number)[] values)
{
    public string Name { get; } = name;
    public IReadOnlyList<(string Name, int Number)> Values { get; } = values;

    public bool TryGetName(long number, out string name)
    {
        foreach (var v in Values)
        {
            if (v.Number == number) { name = v.Name; return true; }
        }
        name = "";
        return false;
    }

    public bool Contains(string name)
    {
        foreach (var v in Values)
        {
            if (string.Equals(v.Name, name, StringComparison.Ordinal)) return true;
        }
        return false;
    }
}

/// <summary>
/// One field of a message. <see cref="Message"/> is set exactly when <see cref="Kind"/> is Message,
/// <see cref="Enum"/> exactly when it is Enum. <see cref="Oneof"/> names the oneof group, if any.
/// </summary>
internal sealed record FieldSchema(
    string Name,
    FieldKind Kind,
    bool Repeated,
    MessageSchema? Message = null,
    EnumSchema? Enum = null,
    string? Oneof = null)
{
    /// <summary>The type as a .proto file spells it, for messages.</summary>
    public string TypeName => Kind switch
    {
        FieldKind.Message => Message!.Name,
        FieldKind.Enum => Enum!.Name,
        _ => Kind.ToString().ToLowerInvariant(),
    };
}

/// <summary>A protobuf message: its name (as in model_config.proto, nested names dotted) and its fields.</summary>
internal sealed class MessageSchema
{
    private readonly Dictionary<string, FieldSchema> _byName;

    public MessageSchema(string name, IReadOnlyList<FieldSchema> fields, bool isMapEntry = false)
    {
        Name = name;
        Fields = fields;
        IsMapEntry = isMapEntry;
        _byName = new Dictionary<string, FieldSchema>(StringComparer.Ordinal);
        foreach (var f in fields) _byName.Add(f.Name, f);
    }

    public string Name { get; }
    public IReadOnlyList<FieldSchema> Fields { get; }

    /// <summary>A synthetic map&lt;K, V&gt; entry message with fields "key" and "value".</summary>
    public bool IsMapEntry { get; }

    public FieldSchema? Find(string name) => _byName.GetValueOrDefault(name);
}
