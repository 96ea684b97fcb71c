using OvStateful.Core.Tensors;

namespace OvStateful.OnnxRuntime.Interop;

/// <summary>ONNXTensorElementDataType from onnxruntime_c_api.h (values are ONNX's TensorProto types).</summary>
internal enum OnnxElementType
{
    Undefined = 0, Float = 1, UInt8 = 2, Int8 = 3, UInt16 = 4, Int16 = 5, Int32 = 6, Int64 = 7, String = 8,
    Bool = 9, Float16 = 10, Double = 11, UInt32 = 12, UInt64 = 13, Complex64 = 14, Complex128 = 15, BFloat16 = 16,
}

internal static class OnnxElementTypes
{
    public static DataType ToDataType(this OnnxElementType t) => t switch
    {
        OnnxElementType.Float => DataType.Fp32,
        OnnxElementType.UInt8 => DataType.UInt8,
        OnnxElementType.Int8 => DataType.Int8,
        OnnxElementType.UInt16 => DataType.UInt16,
        OnnxElementType.Int16 => DataType.Int16,
        OnnxElementType.Int32 => DataType.Int32,
        OnnxElementType.Int64 => DataType.Int64,
        OnnxElementType.String => DataType.String,
        OnnxElementType.Bool => DataType.Bool,
        OnnxElementType.Float16 => DataType.Fp16,
        OnnxElementType.Double => DataType.Fp64,
        OnnxElementType.UInt32 => DataType.UInt32,
        OnnxElementType.UInt64 => DataType.UInt64,
        OnnxElementType.BFloat16 => DataType.Bf16,
        _ => DataType.Invalid,
    };

    public static OnnxElementType ToOnnx(this DataType t) => t switch
    {
        DataType.Fp32 => OnnxElementType.Float,
        DataType.UInt8 => OnnxElementType.UInt8,
        DataType.Int8 => OnnxElementType.Int8,
        DataType.UInt16 => OnnxElementType.UInt16,
        DataType.Int16 => OnnxElementType.Int16,
        DataType.Int32 => OnnxElementType.Int32,
        DataType.Int64 => OnnxElementType.Int64,
        DataType.String => OnnxElementType.String,
        DataType.Bool => OnnxElementType.Bool,
        DataType.Fp16 => OnnxElementType.Float16,
        DataType.Fp64 => OnnxElementType.Double,
        DataType.UInt32 => OnnxElementType.UInt32,
        DataType.UInt64 => OnnxElementType.UInt64,
        DataType.Bf16 => OnnxElementType.BFloat16,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "no ONNX element type for this data type"),
    };
}
