using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using OvStateful.Server.Protocol;

namespace OvStateful.Server.Http;

/// <summary>
/// KServe v2 JSON tensor "data": flat or nested arrays in row-major order (a lone scalar is one
/// element), numbers for numeric types, true/false for BOOL, strings for BYTES. Decoded straight
/// from the header's bytes into the little-endian bytes a <see cref="Tensor"/> holds (BYTES:
/// Triton's serialized form, each element a 4-byte little-endian length and its UTF-8 bytes),
/// and encoded back. A value out of its datatype's range (300 for UINT8, 1e39 for FP32) or text
/// that is not valid Unicode is an error naming the input and the element, never a silent
/// Infinity or a server error.
/// </summary>
internal static class JsonTensorData
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    /// <summary>Decodes <paramref name="json"/> (one JSON value) into an array rented from <paramref name="exchange"/>.</summary>
    public static ReadOnlyMemory<byte> Decode(string input, DataType type, long[] shape, ReadOnlySpan<byte> json, InferExchange exchange)
    {
        var count = TensorBytes.ElementCount(input, shape);
        // Every JSON value takes at least one byte: a shape asking for more elements than that cannot match, so never allocate for it.
        if (count > json.Length) throw CountMismatch(input, shape, CountValues(input, json), count);
        var size = type.ByteSize();
        if (type != DataType.String && size == 0) throw ServerErrors.Invalid($"input '{input}' has datatype {type.WireName()}, which JSON data cannot carry");
        // BYTES: an element's unescaped UTF-8 is never longer than its JSON text; each also takes a 4-byte length.
        var capacity = type == DataType.String ? checked(json.Length + 4 * (int)count) : checked((int)count * size);
        var bytes = exchange.RentArray(capacity);
        var dst = bytes.AsSpan(0, capacity);
        if (type is DataType.Fp32 or DataType.Fp64 && TryDecodeNumbers(type, count, json, dst)) return bytes.AsMemory(0, capacity);

        var r = new Utf8JsonReader(json, Options);
        long n = 0;
        var written = 0;
        while (r.Read())
        {
            if (r.TokenType is JsonTokenType.StartArray or JsonTokenType.EndArray) continue;
            if (r.TokenType is JsonTokenType.StartObject or JsonTokenType.Null) throw NotScalar(input, r.TokenType);
            if (n < count)
            {
                if (type == DataType.String) written += WriteString(input, n, ref r, dst[written..]);
                else WriteElement(input, type, n, ref r, json, dst.Slice((int)n * size, size));
            }
            n++;
        }
        if (n != count) throw CountMismatch(input, shape, n, count);
        return bytes.AsMemory(0, type == DataType.String ? written : capacity);
    }

    /// <summary>
    /// The common case of FP32/FP64 data, without a JSON reader: <paramref name="json"/> has
    /// passed the header's checks (valid JSON), so when it holds only brackets, commas,
    /// whitespace and numbers, each number is parsed where it starts (<see cref="DecimalFloatParser"/>
    /// finds its end), in row-major order. False, leaving the
    /// reader's path to decode it or name what is wrong, for anything else: another token, a
    /// value out of range, a count that does not match.
    /// </summary>
    private static bool TryDecodeNumbers(DataType type, long count, ReadOnlySpan<byte> json, Span<byte> dst)
    {
        var size = type.ByteSize();
        long n = 0;
        var i = 0;
        while (i < json.Length)
        {
            var c = json[i];
            if (c is (byte)'[' or (byte)']' or (byte)',' or (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
            {
                i++;
                continue;
            }
            if ((c != '-' && (uint)(c - '0') > 9) || n == count) return false;
            int used;
            var into = dst.Slice((int)n * size, size);
            if (type == DataType.Fp32)
            {
                if (!DecimalFloatParser.TryReadSingle(json[i..], out var f, out used) || !float.IsFinite(f)) return false;
                BinaryPrimitives.WriteSingleLittleEndian(into, f);
            }
            else
            {
                if (!DecimalFloatParser.TryReadDouble(json[i..], out var d, out used) || !double.IsFinite(d)) return false;
                BinaryPrimitives.WriteDoubleLittleEndian(into, d);
            }
            i += used;
            n++;
        }
        return n == count;
    }

    /// <summary>Only for the message of a count that cannot match: the values <paramref name="json"/> holds.</summary>
    private static long CountValues(string input, ReadOnlySpan<byte> json)
    {
        var r = new Utf8JsonReader(json, Options);
        long n = 0;
        while (r.Read())
        {
            if (r.TokenType is JsonTokenType.StartObject or JsonTokenType.Null) throw NotScalar(input, r.TokenType);
            if (r.TokenType is not (JsonTokenType.StartArray or JsonTokenType.EndArray)) n++;
        }
        return n;
    }

    private static InferenceException CountMismatch(string input, long[] shape, long n, long count) =>
        ServerErrors.Invalid($"input '{input}' has {n} values in 'data'; shape {Shapes.Format(shape)} needs {count}");

    private static InferenceException NotScalar(string input, JsonTokenType token) =>
        ServerErrors.Invalid($"input '{input}' 'data' holds a {InferHeaderReader.Kind(token)}; expected numbers, booleans or strings in (nested) arrays");

    /// <summary>One BYTES element: its length, then its UTF-8 bytes (unescaped). Returns the bytes written.</summary>
    private static int WriteString(string input, long index, ref Utf8JsonReader r, Span<byte> dst)
    {
        if (r.TokenType != JsonTokenType.String)
            throw ServerErrors.Invalid($"input '{input}' value {index} is {InferHeaderReader.Kind(r.TokenType)}; BYTES data must be strings");
        int length;
        if (!r.ValueIsEscaped)
        {
            if (!Utf8.IsValid(r.ValueSpan)) throw NotText(input, index);
            r.ValueSpan.CopyTo(dst[4..]);
            length = r.ValueSpan.Length;
        }
        else
        {
            try
            {
                length = r.CopyString(dst[4..]);
            }
            catch (InvalidOperationException)
            {
                throw NotText(input, index);
            }
        }
        BinaryPrimitives.WriteUInt32LittleEndian(dst, (uint)length);
        return 4 + length;
    }

    private static InferenceException NotText(string input, long index) =>
        ServerErrors.Invalid($"input '{input}' value {index} is not valid Unicode text (invalid UTF-8 or a lone surrogate); BYTES data in JSON must be UTF-8 strings");

    private static void WriteElement(string input, DataType type, long index, ref Utf8JsonReader r, ReadOnlySpan<byte> json, Span<byte> dst)
    {
        if (type == DataType.Bool)
        {
            dst[0] = r.TokenType switch
            {
                JsonTokenType.True => 1,
                JsonTokenType.False => 0,
                _ => throw Bad(input, type, index, ref r, json, "true or false"),
            };
            return;
        }
        if (r.TokenType != JsonTokenType.Number) throw Bad(input, type, index, ref r, json, "a number");
        if (!TryWriteNumber(type, r.ValueSpan, dst)) throw Bad(input, type, index, ref r, json, InRange(type));
    }

    /// <summary>Writes one JSON number as <paramref name="type"/>; false when it is not one (a fraction for an integer type, out of range).</summary>
    private static bool TryWriteNumber(DataType type, ReadOnlySpan<byte> text, Span<byte> dst)
    {
        switch (type)
        {
            case DataType.UInt8 when Integer<byte>(text, out var v): dst[0] = v; return true;
            case DataType.Int8 when Integer<sbyte>(text, out var v): dst[0] = unchecked((byte)v); return true;
            case DataType.UInt16 when Integer<ushort>(text, out var v): BinaryPrimitives.WriteUInt16LittleEndian(dst, v); return true;
            case DataType.Int16 when Integer<short>(text, out var v): BinaryPrimitives.WriteInt16LittleEndian(dst, v); return true;
            case DataType.UInt32 when Integer<uint>(text, out var v): BinaryPrimitives.WriteUInt32LittleEndian(dst, v); return true;
            case DataType.Int32 when Integer<int>(text, out var v): BinaryPrimitives.WriteInt32LittleEndian(dst, v); return true;
            case DataType.UInt64 when Integer<ulong>(text, out var v): BinaryPrimitives.WriteUInt64LittleEndian(dst, v); return true;
            case DataType.Int64 when Integer<long>(text, out var v): BinaryPrimitives.WriteInt64LittleEndian(dst, v); return true;
            // Parsed as float directly (one rounding, as float.Parse), then refused if it overflowed to Infinity.
            case DataType.Fp32 when DecimalFloatParser.TryParseSingle(text, out var f) && float.IsFinite(f):
                BinaryPrimitives.WriteSingleLittleEndian(dst, f);
                return true;
            case DataType.Fp64 when DecimalFloatParser.TryParseDouble(text, out var d) && double.IsFinite(d):
                BinaryPrimitives.WriteDoubleLittleEndian(dst, d);
                return true;
            case DataType.Fp16 when DecimalFloatParser.TryParseDouble(text, out var d) && Half.IsFinite((Half)d):
                BinaryPrimitives.WriteHalfLittleEndian(dst, (Half)d);
                return true;
            case DataType.Bf16 when DecimalFloatParser.TryParseSingle(text, out var f) && float.IsFinite(f) && ToBf16(f) is var b && (b & 0x7F80) != 0x7F80:
                BinaryPrimitives.WriteUInt16LittleEndian(dst, b);
                return true;
            default:
                return false;
        }
    }

    private static bool Integer<T>(ReadOnlySpan<byte> text, out T value) where T : IBinaryInteger<T> =>
        T.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value!);

    private static string InRange(DataType type) => type switch
    {
        DataType.Fp32 => "a number within ±3.4028235e38 (the range of FP32)",
        DataType.Fp64 => "a number within ±1.7976931348623157e308 (the range of FP64)",
        DataType.Fp16 => "a number within ±65504 (the range of FP16)",
        DataType.Bf16 => "a number within ±3.3895314e38 (the range of BF16)",
        _ => $"a whole number in the range of {type.WireName()}",
    };

    private static InferenceException Bad(string input, DataType type, long index, ref Utf8JsonReader r, ReadOnlySpan<byte> json, string expected)
    {
        var raw = InferHeaderReader.Raw(ref r, json);
        if (raw.Length > 40) raw = raw[..40] + "...";
        return ServerErrors.Invalid($"input '{input}' value {index} is {raw}; {type.WireName()} data must be {expected}");
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
                WriteStrings(w, span);
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

    /// <summary>BYTES elements (serialized form) as JSON strings: UTF-8 text as is (the usual case); other bytes as Latin-1 characters.</summary>
    private static void WriteStrings(Utf8JsonWriter w, ReadOnlySpan<byte> data)
    {
        var offset = 0;
        while (offset + 4 <= data.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]);
            offset += 4;
            if (length < 0 || length > data.Length - offset) break; // checked when it came in; engines' outputs are well-formed
            var element = data.Slice(offset, length);
            if (Utf8.IsValid(element)) w.WriteStringValue(element);
            else w.WriteStringValue(Encoding.Latin1.GetString(element));
            offset += length;
        }
    }

    private static void WriteFloat(Utf8JsonWriter w, float f)
    {
        // JSON has no NaN/Infinity; print them as strings rather than failing the response.
        if (float.IsFinite(f)) w.WriteNumberValue(f); else w.WriteStringValue(f.ToString(CultureInfo.InvariantCulture));
    }
}
