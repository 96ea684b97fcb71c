using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using OvStateful.Core.Tensors;
using OvStateful.Server.Protocol;

namespace OvStateful.Server.Http;

/// <summary>
/// KServe v2 JSON tensor "data": flat or nested arrays in row-major order, numbers for
/// numeric types, true/false for BOOL, strings for BYTES. Converted to and from the
/// little-endian bytes a <see cref="Tensor"/> holds.
/// </summary>
internal static class JsonTensorData
{
    public static byte[] Decode(string input, DataType type, IReadOnlyList<long> shape, JsonElement data)
    {
        var count = TensorBytes.ElementCount(input, shape);
        var elements = new List<JsonElement>(checked((int)Math.Min(count, 1 << 20)));
        Flatten(input, data, elements);
        if (elements.Count != count)
            throw ServerErrors.Invalid($"input '{input}' has {elements.Count} values in 'data'; shape {Shapes.Format(shape.ToArray())} needs {count}");

        if (type == DataType.String)
        {
            var parts = new ReadOnlyMemory<byte>[elements.Count];
            for (var i = 0; i < parts.Length; i++)
            {
                if (elements[i].ValueKind != JsonValueKind.String)
                    throw ServerErrors.Invalid($"input '{input}' value {i} is {elements[i].ValueKind}; BYTES data must be strings");
                parts[i] = Encoding.UTF8.GetBytes(elements[i].GetString()!);
            }
            return TensorBytes.JoinStrings(parts);
        }

        var size = type.ByteSize();
        var bytes = new byte[elements.Count * size];
        for (var i = 0; i < elements.Count; i++) WriteElement(input, type, i, elements[i], bytes.AsSpan(i * size, size));
        return bytes;
    }

    private static void Flatten(string input, JsonElement e, List<JsonElement> into)
    {
        if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in e.EnumerateArray()) Flatten(input, item, into);
        }
        else if (e.ValueKind is JsonValueKind.Object or JsonValueKind.Null or JsonValueKind.Undefined)
        {
            throw ServerErrors.Invalid($"input '{input}' 'data' holds a {e.ValueKind}; expected numbers, booleans or strings in (nested) arrays");
        }
        else
        {
            into.Add(e);
        }
    }

    private static void WriteElement(string input, DataType type, int index, JsonElement e, Span<byte> dst)
    {
        if (type == DataType.Bool)
        {
            dst[0] = e.ValueKind switch
            {
                JsonValueKind.True => 1,
                JsonValueKind.False => 0,
                _ => throw Bad(input, type, index, e, "true or false"),
            };
            return;
        }
        if (e.ValueKind != JsonValueKind.Number) throw Bad(input, type, index, e, "a number");
        try
        {
            WriteNumber(input, type, index, e, dst);
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            throw Bad(input, type, index, e, $"a number in the range of {type.WireName()}");
        }
    }

    private static void WriteNumber(string input, DataType type, int index, JsonElement e, Span<byte> dst)
    {
        switch (type)
        {
            case DataType.UInt8: dst[0] = Integer<byte>(input, type, index, e); break;
            case DataType.Int8: dst[0] = unchecked((byte)Integer<sbyte>(input, type, index, e)); break;
            case DataType.UInt16: BinaryPrimitives.WriteUInt16LittleEndian(dst, Integer<ushort>(input, type, index, e)); break;
            case DataType.Int16: BinaryPrimitives.WriteInt16LittleEndian(dst, Integer<short>(input, type, index, e)); break;
            case DataType.UInt32: BinaryPrimitives.WriteUInt32LittleEndian(dst, Integer<uint>(input, type, index, e)); break;
            case DataType.Int32: BinaryPrimitives.WriteInt32LittleEndian(dst, Integer<int>(input, type, index, e)); break;
            case DataType.UInt64: BinaryPrimitives.WriteUInt64LittleEndian(dst, Integer<ulong>(input, type, index, e)); break;
            case DataType.Int64: BinaryPrimitives.WriteInt64LittleEndian(dst, Integer<long>(input, type, index, e)); break;
            case DataType.Fp16: BinaryPrimitives.WriteHalfLittleEndian(dst, InRange(input, type, index, e, (Half)Real(input, type, index, e), Half.IsInfinity)); break;
            case DataType.Bf16: BinaryPrimitives.WriteUInt16LittleEndian(dst, InRange(input, type, index, e, ToBf16((float)Real(input, type, index, e)), b => (b & 0x7FFF) == 0x7F80)); break;
            case DataType.Fp32: BinaryPrimitives.WriteSingleLittleEndian(dst, InRange(input, type, index, e, (float)Real(input, type, index, e), float.IsInfinity)); break;
            case DataType.Fp64: BinaryPrimitives.WriteDoubleLittleEndian(dst, Real(input, type, index, e)); break;
            default: throw ServerErrors.Invalid($"input '{input}' has datatype {type.WireName()}, which JSON data cannot carry");
        }
    }

    /// <summary>A JSON number as a double; one beyond double's range (1e400) is refused, not turned into Infinity.</summary>
    private static double Real(string input, DataType type, int index, JsonElement e)
    {
        var v = double.Parse(e.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture);
        return double.IsFinite(v) ? v : throw OutOfRange(input, type, index, e);
    }

    /// <summary>
    /// The value converted to the tensor's type, refused when it does not fit (1e39 for FP32
    /// became Infinity silently); values that merely round (more digits than the type holds,
    /// or below its smallest) are taken rounded, as any JSON reader does.
    /// </summary>
    private static T InRange<T>(string input, DataType type, int index, JsonElement e, T converted, Func<T, bool> isInfinite) =>
        isInfinite(converted) ? throw OutOfRange(input, type, index, e) : converted;

    private static Exception OutOfRange(string input, DataType type, int index, JsonElement e) =>
        Bad(input, type, index, e, type switch
        {
            DataType.Fp16 => "a number within ±65504 (the range of FP16)",
            DataType.Bf16 => "a number within ±3.3895e38 (the range of BF16)",
            DataType.Fp32 => "a number within ±3.4028235e38 (the range of FP32)",
            _ => "a number within ±1.7976931348623157e308 (the range of FP64)",
        });

    private static T Integer<T>(string input, DataType type, int index, JsonElement e) where T : System.Numerics.IBinaryInteger<T>
    {
        var text = e.GetRawText();
        return T.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw Bad(input, type, index, e, $"a whole number in the range of {type.WireName()}");
    }

    private static Exception Bad(string input, DataType type, int index, JsonElement e, string expected) =>
        ServerErrors.Invalid($"input '{input}' value {index} is {Show(e)}; {type.WireName()} data must be {expected}");

    private static string Show(JsonElement e)
    {
        var raw = e.GetRawText();
        return raw.Length > 40 ? raw[..40] + "..." : raw;
    }

    /// <summary>Round-to-nearest-even truncation of an IEEE float to bfloat16.</summary>
    private static ushort ToBf16(float f)
    {
        var bits = BitConverter.SingleToUInt32Bits(f);
        if (float.IsNaN(f)) return (ushort)((bits >> 16) | 0x40);
        var rounding = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    /// <summary>Writes a tensor's elements as a flat JSON array.</summary>
    public static void Encode(Utf8JsonWriter w, Tensor t)
    {
        var span = t.Data.Span;
        w.WriteStartArray();
        switch (t.DataType)
        {
            case DataType.String:
                foreach (var element in TensorBytes.SplitStrings(t.Data))
                {
                    // Text when it is valid UTF-8 (the usual case); otherwise the raw bytes as Latin-1.
                    try { w.WriteStringValue(new UTF8Encoding(false, true).GetString(element.Span)); }
                    catch (DecoderFallbackException) { w.WriteStringValue(Encoding.Latin1.GetString(element.Span)); }
                }
                break;
            case DataType.Bool: foreach (var b in span) w.WriteBooleanValue(b != 0); break;
            case DataType.UInt8: foreach (var b in span) w.WriteNumberValue(b); break;
            case DataType.Int8: foreach (var b in span) w.WriteNumberValue((sbyte)b); break;
            case DataType.UInt16: for (var i = 0; i + 2 <= span.Length; i += 2) w.WriteNumberValue(BinaryPrimitives.ReadUInt16LittleEndian(span[i..])); break;
            case DataType.Int16: for (var i = 0; i + 2 <= span.Length; i += 2) w.WriteNumberValue(BinaryPrimitives.ReadInt16LittleEndian(span[i..])); break;
            case DataType.UInt32: for (var i = 0; i + 4 <= span.Length; i += 4) w.WriteNumberValue(BinaryPrimitives.ReadUInt32LittleEndian(span[i..])); break;
            case DataType.Int32: for (var i = 0; i + 4 <= span.Length; i += 4) w.WriteNumberValue(BinaryPrimitives.ReadInt32LittleEndian(span[i..])); break;
            case DataType.UInt64: for (var i = 0; i + 8 <= span.Length; i += 8) w.WriteNumberValue(BinaryPrimitives.ReadUInt64LittleEndian(span[i..])); break;
            case DataType.Int64: for (var i = 0; i + 8 <= span.Length; i += 8) w.WriteNumberValue(BinaryPrimitives.ReadInt64LittleEndian(span[i..])); break;
            case DataType.Fp16: for (var i = 0; i + 2 <= span.Length; i += 2) WriteFloat(w, (float)BinaryPrimitives.ReadHalfLittleEndian(span[i..])); break;
            case DataType.Bf16: for (var i = 0; i + 2 <= span.Length; i += 2) WriteFloat(w, BitConverter.UInt32BitsToSingle((uint)BinaryPrimitives.ReadUInt16LittleEndian(span[i..]) << 16)); break;
            case DataType.Fp32: for (var i = 0; i + 4 <= span.Length; i += 4) WriteFloat(w, BinaryPrimitives.ReadSingleLittleEndian(span[i..])); break;
            case DataType.Fp64:
                for (var i = 0; i + 8 <= span.Length; i += 8)
                {
                    var d = BinaryPrimitives.ReadDoubleLittleEndian(span[i..]);
                    if (double.IsFinite(d)) w.WriteNumberValue(d); else w.WriteStringValue(d.ToString(CultureInfo.InvariantCulture));
                }
                break;
        }
        w.WriteEndArray();
    }

    private static void WriteFloat(Utf8JsonWriter w, float f)
    {
        // JSON has no NaN/Infinity; print them as strings rather than failing the response.
        if (float.IsFinite(f)) w.WriteNumberValue(f); else w.WriteStringValue(f.ToString(CultureInfo.InvariantCulture));
    }
}
