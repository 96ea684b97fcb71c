using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using OvStateful.Cli.Workloads;
using OvStateful.Core.Tensors;

namespace OvStateful.Cli.Remote;

/// <summary>KServe v2 JSON tensor data: a flat array of numbers (or booleans) in row-major order; nested arrays are read row-major too.</summary>
internal static class JsonTensors
{
    public static void WriteData(Utf8JsonWriter w, Tensor t)
    {
        if (t.DataType == DataType.Fp32)
        {
            WriteFp32(w, t.Data.Span);
            return;
        }
        var size = t.DataType.ByteSize();
        var span = t.Data.Span;
        w.WriteStartArray();
        for (var o = 0; o < span.Length; o += size)
        {
            var e = span.Slice(o, size);
            switch (t.DataType)
            {
                case DataType.Bool: w.WriteBooleanValue(e[0] != 0); break;
                case DataType.Int64: w.WriteNumberValue(BinaryPrimitives.ReadInt64LittleEndian(e)); break;
                case DataType.UInt64: w.WriteNumberValue(BinaryPrimitives.ReadUInt64LittleEndian(e)); break;
                default: w.WriteNumberValue(OutputDifference.Read(t.DataType, e)); break;
            }
        }
        w.WriteEndArray();
    }

    /// <summary>
    /// An FP32 array as one raw value (<see cref="Fp32Text"/>: nine digits, exact on reading back),
    /// not through the writer's own float formatting, which costs most of a JSON step's client CPU.
    /// </summary>
    private static void WriteFp32(Utf8JsonWriter w, ReadOnlySpan<byte> data)
    {
        var count = data.Length / 4;
        var text = ArrayPool<byte>.Shared.Rent(2 + count * (Fp32Text.MaxLength + 1));
        try
        {
            var n = 0;
            text[n++] = (byte)'[';
            for (var i = 0; i < count; i++)
            {
                if (i > 0) text[n++] = (byte)',';
                n += Fp32Text.Format(BinaryPrimitives.ReadSingleLittleEndian(data[(i * 4)..]), text.AsSpan(n));
            }
            text[n++] = (byte)']';
            // Made here as valid JSON: the writer's check would parse it again.
            w.WriteRawValue(text.AsSpan(0, n), skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(text);
        }
    }

    /// <summary>One JSON "data" value (an array, nested arrays or a scalar) as little-endian bytes of <paramref name="type"/>.</summary>
    public static byte[] ReadData(ReadOnlySpan<byte> json, DataType type)
    {
        var size = type.ByteSize();
        if (size == 0) throw new FormatException($"cannot read {type.WireName()} JSON data");
        var count = 0;
        var r = new Utf8JsonReader(json);
        while (r.Read())
        {
            if (r.TokenType is not (JsonTokenType.StartArray or JsonTokenType.EndArray)) count++;
        }
        var bytes = new byte[count * size];
        r = new Utf8JsonReader(json);
        var i = 0;
        while (r.Read())
        {
            if (r.TokenType is JsonTokenType.StartArray or JsonTokenType.EndArray) continue;
            if (!TryReadElement(ref r, type, bytes.AsSpan(i++ * size, size))) throw new FormatException($"cannot read {type.WireName()} JSON data");
        }
        return bytes;
    }

    /// <summary>The value <paramref name="v"/> stands on as little-endian bytes of <paramref name="type"/> into <paramref name="to"/> (its element size); false for a type JSON data cannot carry.</summary>
    /// <exception cref="FormatException">The value does not fit the type.</exception>
    /// <exception cref="InvalidOperationException">The value is not a number (or a boolean for BOOL).</exception>
    public static bool TryReadElement(ref Utf8JsonReader v, DataType type, Span<byte> to)
    {
        switch (type)
        {
            case DataType.Bool: to[0] = v.TokenType == JsonTokenType.True || (v.TokenType == JsonTokenType.Number && v.GetDouble() != 0) ? (byte)1 : (byte)0; break;
            case DataType.UInt8: to[0] = v.GetByte(); break;
            case DataType.Int8: to[0] = (byte)v.GetSByte(); break;
            case DataType.Int16: BinaryPrimitives.WriteInt16LittleEndian(to, v.GetInt16()); break;
            case DataType.UInt16: BinaryPrimitives.WriteUInt16LittleEndian(to, v.GetUInt16()); break;
            case DataType.Int32: BinaryPrimitives.WriteInt32LittleEndian(to, v.GetInt32()); break;
            case DataType.UInt32: BinaryPrimitives.WriteUInt32LittleEndian(to, v.GetUInt32()); break;
            case DataType.Int64: BinaryPrimitives.WriteInt64LittleEndian(to, v.GetInt64()); break;
            case DataType.UInt64: BinaryPrimitives.WriteUInt64LittleEndian(to, v.GetUInt64()); break;
            case DataType.Fp32: BinaryPrimitives.WriteSingleLittleEndian(to, v.GetSingle()); break;
            case DataType.Fp64: BinaryPrimitives.WriteDoubleLittleEndian(to, v.GetDouble()); break;
            case DataType.Fp16: BinaryPrimitives.WriteHalfLittleEndian(to, (Half)v.GetDouble()); break;
            case DataType.Bf16: BinaryPrimitives.WriteUInt16LittleEndian(to, (ushort)(BitConverter.SingleToUInt32Bits(v.GetSingle()) >> 16)); break;
            default: return false;
        }
        return true;
    }

    /// <summary>One parsed JSON value as <see cref="TryReadElement(ref Utf8JsonReader, DataType, Span{byte})"/> reads it (read from the element's own UTF-8 text, no copy).</summary>
    public static bool TryReadElement(JsonElement v, DataType type, Span<byte> to)
    {
        var r = new Utf8JsonReader(JsonMarshal.GetRawUtf8Value(v));
        r.Read();
        return TryReadElement(ref r, type, to);
    }
}
