using OvStateful.Core.Tensors;

namespace OvStateful.OpenVino.Interop;

/// <summary>ovs_element codes (native/include/ovs_shim.h) to and from <see cref="DataType"/>.</summary>
internal static class ShimElement
{
    public const int Unsupported = 0;

    public static int ToCode(DataType type) => type switch
    {
        DataType.Bool => 1,
        DataType.UInt8 => 2,
        DataType.UInt16 => 3,
        DataType.UInt32 => 4,
        DataType.UInt64 => 5,
        DataType.Int8 => 6,
        DataType.Int16 => 7,
        DataType.Int32 => 8,
        DataType.Int64 => 9,
        DataType.Fp16 => 10,
        DataType.Fp32 => 11,
        DataType.Fp64 => 12,
        DataType.Bf16 => 13,
        _ => throw new ArgumentException($"data type {type.WireName()} has no OpenVINO element type; expected a numeric or BOOL type", nameof(type)),
    };

    /// <summary>The <see cref="DataType"/> of a code; <see cref="DataType.Invalid"/> for element types OvStateful does not carry (u4, f8, string, ...).</summary>
    public static DataType FromCode(int code) => code switch
    {
        1 => DataType.Bool,
        2 => DataType.UInt8,
        3 => DataType.UInt16,
        4 => DataType.UInt32,
        5 => DataType.UInt64,
        6 => DataType.Int8,
        7 => DataType.Int16,
        8 => DataType.Int32,
        9 => DataType.Int64,
        10 => DataType.Fp16,
        11 => DataType.Fp32,
        12 => DataType.Fp64,
        13 => DataType.Bf16,
        _ => DataType.Invalid,
    };
}
