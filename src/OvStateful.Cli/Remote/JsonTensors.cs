using System.Buffers.Binary;
using System.Text.Json;
using OvStateful.Cli.Workloads;
using OvStateful.Core.Tensors;

namespace OvStateful.Cli.Remote;

/// <summary>KServe v2 JSON tensor data: a flat array of numbers (or booleans) in row-major order.</summary>
internal static class JsonTensors
{
    public static void WriteData(Utf8JsonWriter w, Tensor t)
    {
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
                case DataType.Fp32: w.WriteNumberValue(BinaryPrimitives.ReadSingleLittleEndian(e)); break;
                default: w.WriteNumberValue(OutputDifference.Read(t.DataType, e)); break;
            }
        }
        w.WriteEndArray();
    }

    /// <summary>A JSON "data" array back into little-endian bytes of <paramref name="type"/>.</summary>
    public static byte[] ReadData(JsonElement data, DataType type)
    {
        var size = type.ByteSize();
        var values = Flatten(data).ToList();
        var bytes = new byte[values.Count * size];
        for (var i = 0; i < values.Count; i++)
        {
            if (!TryReadElement(values[i], type, bytes.AsSpan(i * size, size))) throw new FormatException($"cannot read {type.WireName()} JSON data");
        }
        return bytes;
    }

    /// <summary>One JSON value as little-endian bytes of <paramref name="type"/> into <paramref name="to"/> (its element size); false for a type JSON data cannot carry.</summary>
    /// <exception cref="FormatException">The value does not fit the type.</exception>
    /// <exception cref="InvalidOperationException">The value is not a number (or a boolean for BOOL).</exception>
    public static bool TryReadElement(JsonElement v, DataType type, Span<byte> to)
    {
        switch (type)
        {
            case DataType.Bool: to[0] = v.ValueKind == JsonValueKind.True || (v.ValueKind == JsonValueKind.Number && v.GetDouble() != 0) ? (byte)1 : (byte)0; break;
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

    /// <summary>Triton also accepts nested arrays; flatten them in row-major order.</summary>
    private static IEnumerable<JsonElement> Flatten(JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Array)
        {
            yield return e;
            yield break;
        }
        foreach (var item in e.EnumerateArray())
            foreach (var v in Flatten(item)) yield return v;
    }
}
