using System.Buffers.Binary;

namespace OvStateful.Core.Tensors;

/// <summary>Writes one value into every element of a span of a given element type (control values, constants).</summary>
public static class ElementWriter
{
    public static void Fill(Span<byte> dst, DataType type, double value)
    {
        var size = type.ByteSize();
        for (var at = 0; at + size <= dst.Length; at += size) Write(dst.Slice(at, size), type, value);
    }

    /// <summary>Integers beyond 2^53 (64-bit correlation ids) kept exact.</summary>
    public static void FillInteger(Span<byte> dst, DataType type, ulong value)
    {
        var size = type.ByteSize();
        for (var at = 0; at + size <= dst.Length; at += size)
        {
            var e = dst.Slice(at, size);
            switch (type)
            {
                case DataType.UInt64: BinaryPrimitives.WriteUInt64LittleEndian(e, value); break;
                case DataType.Int64: BinaryPrimitives.WriteInt64LittleEndian(e, unchecked((long)value)); break;
                default: Write(e, type, value); break;
            }
        }
    }

    private static void Write(Span<byte> e, DataType type, double v)
    {
        switch (type)
        {
            case DataType.Bool: e[0] = v != 0 ? (byte)1 : (byte)0; break;
            case DataType.UInt8: e[0] = (byte)v; break;
            case DataType.Int8: e[0] = unchecked((byte)(sbyte)v); break;
            case DataType.UInt16: BinaryPrimitives.WriteUInt16LittleEndian(e, (ushort)v); break;
            case DataType.Int16: BinaryPrimitives.WriteInt16LittleEndian(e, (short)v); break;
            case DataType.UInt32: BinaryPrimitives.WriteUInt32LittleEndian(e, (uint)v); break;
            case DataType.Int32: BinaryPrimitives.WriteInt32LittleEndian(e, (int)v); break;
            case DataType.UInt64: BinaryPrimitives.WriteUInt64LittleEndian(e, (ulong)v); break;
            case DataType.Int64: BinaryPrimitives.WriteInt64LittleEndian(e, (long)v); break;
            case DataType.Fp16: BinaryPrimitives.WriteHalfLittleEndian(e, (Half)v); break;
            case DataType.Bf16: BinaryPrimitives.WriteUInt16LittleEndian(e, (ushort)(BitConverter.SingleToUInt32Bits((float)v) >> 16)); break;
            case DataType.Fp32: BinaryPrimitives.WriteSingleLittleEndian(e, (float)v); break;
            case DataType.Fp64: BinaryPrimitives.WriteDoubleLittleEndian(e, v); break;
            default: throw new ArgumentOutOfRangeException(nameof(type), type, "no fixed-size element type");
        }
    }
}
