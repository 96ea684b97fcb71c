using Microsoft.ML.OnnxRuntime.Tensors;
using OvStateful.Core.Tensors;

namespace OvStateful.OnnxRuntime;

/// <summary>Our data types and ONNX Runtime's tensor element types, both ways.</summary>
internal static class OrtElementTypes
{
    public static DataType ToDataType(this TensorElementType t) => t switch
    {
        TensorElementType.Float => DataType.Fp32,
        TensorElementType.UInt8 => DataType.UInt8,
        TensorElementType.Int8 => DataType.Int8,
        TensorElementType.UInt16 => DataType.UInt16,
        TensorElementType.Int16 => DataType.Int16,
        TensorElementType.Int32 => DataType.Int32,
        TensorElementType.Int64 => DataType.Int64,
        TensorElementType.String => DataType.String,
        TensorElementType.Bool => DataType.Bool,
        TensorElementType.Float16 => DataType.Fp16,
        TensorElementType.Double => DataType.Fp64,
        TensorElementType.UInt32 => DataType.UInt32,
        TensorElementType.UInt64 => DataType.UInt64,
        TensorElementType.BFloat16 => DataType.Bf16,
        _ => DataType.Invalid,
    };

    public static TensorElementType ToOrt(this DataType t) => t switch
    {
        DataType.Fp32 => TensorElementType.Float,
        DataType.UInt8 => TensorElementType.UInt8,
        DataType.Int8 => TensorElementType.Int8,
        DataType.UInt16 => TensorElementType.UInt16,
        DataType.Int16 => TensorElementType.Int16,
        DataType.Int32 => TensorElementType.Int32,
        DataType.Int64 => TensorElementType.Int64,
        DataType.String => TensorElementType.String,
        DataType.Bool => TensorElementType.Bool,
        DataType.Fp16 => TensorElementType.Float16,
        DataType.Fp64 => TensorElementType.Double,
        DataType.UInt32 => TensorElementType.UInt32,
        DataType.UInt64 => TensorElementType.UInt64,
        DataType.Bf16 => TensorElementType.BFloat16,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "no ONNX element type for this data type"),
    };
}
