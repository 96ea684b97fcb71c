namespace OvStateful.Core.Tensors;

/// <summary>Element types, named as Triton names them (KServe v2 wire names and TYPE_* config names).</summary>
public enum DataType
{
    Invalid = 0,
    Bool,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Int8,
    Int16,
    Int32,
    Int64,
    Fp16,
    Fp32,
    Fp64,
    Bf16,
    /// <summary>Variable-length bytes (KServe BYTES, config TYPE_STRING). Not usable as state.</summary>
    String,
}

public static class DataTypes
{
    private static readonly string[] WireNames =
        ["INVALID", "BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BF16", "BYTES"];

    /// <summary>Bytes per element; 0 for <see cref="DataType.String"/> and Invalid.</summary>
    public static int ByteSize(this DataType type) => type switch
    {
        DataType.Bool or DataType.UInt8 or DataType.Int8 => 1,
        DataType.UInt16 or DataType.Int16 or DataType.Fp16 or DataType.Bf16 => 2,
        DataType.UInt32 or DataType.Int32 or DataType.Fp32 => 4,
        DataType.UInt64 or DataType.Int64 or DataType.Fp64 => 8,
        _ => 0,
    };

    /// <summary>KServe v2 datatype name: "FP32", "BYTES", ...</summary>
    public static string WireName(this DataType type) => WireNames[(int)type];

    /// <summary>config.pbtxt name: "TYPE_FP32", "TYPE_STRING", ...</summary>
    public static string ConfigName(this DataType type) =>
        type == DataType.String ? "TYPE_STRING" : "TYPE_" + WireNames[(int)type];

    public static bool TryParseWire(string? name, out DataType type)
    {
        type = DataType.Invalid;
        if (name is null) return false;
        for (var i = 1; i < WireNames.Length; i++)
        {
            if (string.Equals(WireNames[i], name, StringComparison.Ordinal)) { type = (DataType)i; return true; }
        }
        return false;
    }

    public static bool TryParseConfig(string? name, out DataType type)
    {
        type = DataType.Invalid;
        if (name is null || !name.StartsWith("TYPE_", StringComparison.Ordinal)) return false;
        var rest = name.AsSpan(5);
        if (rest.SequenceEqual("STRING")) { type = DataType.String; return true; }
        return !rest.SequenceEqual("BYTES") && TryParseWire(rest.ToString(), out type);
    }
}
