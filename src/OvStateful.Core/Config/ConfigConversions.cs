using OvStateful.Core.Tensors;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Core.Config;

/// <summary>The config's enums and maps in the vocabulary of Core's tensors and plan.</summary>
public static class ConfigConversions
{
    /// <summary>TYPE_FP32 → Fp32. Triton numbers TYPE_STRING 13 and TYPE_BF16 14; Core's enum has them the other way round.</summary>
    public static DataType ToTensorType(this Proto.DataType type) => type switch
    {
        Proto.DataType.TypeString => DataType.String,
        Proto.DataType.TypeBf16 => DataType.Bf16,
        _ => (DataType)(int)type,
    };

    public static Proto.DataType ToConfigType(this DataType type) => type switch
    {
        DataType.String => Proto.DataType.TypeString,
        DataType.Bf16 => Proto.DataType.TypeBf16,
        _ => (Proto.DataType)(int)type,
    };

    public static ControlKind ToControlKind(this Proto.ModelSequenceBatching.Types.Control.Types.Kind kind) => (ControlKind)(int)kind;

    /// <summary>parameters[key].string_value, or null when the config does not set the key.</summary>
    public static string? Parameter(this ModelConfig config, string key) =>
        config.Parameters.TryGetValue(key, out var p) ? p.StringValue : null;

    /// <summary>Every parameter's string_value by key (the only value Triton's ModelParameter has).</summary>
    public static Dictionary<string, string> StringParameters(this ModelConfig config)
    {
        var map = new Dictionary<string, string>(config.Parameters.Count, StringComparer.Ordinal);
        foreach (var (key, value) in config.Parameters) map[key] = value.StringValue;
        return map;
    }

    /// <summary>Sets parameters[key] { string_value: value }.</summary>
    public static void SetParameter(this ModelConfig config, string key, string value) =>
        config.Parameters[key] = new Proto.ModelParameter { StringValue = value };
}
