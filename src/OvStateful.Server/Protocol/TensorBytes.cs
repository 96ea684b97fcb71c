using OvStateful.Core.Tensors;

namespace OvStateful.Server.Protocol;

/// <summary>
/// Size checks for tensor data as it arrives: every input's bytes must be exactly what its
/// shape and datatype say (BYTES: exactly shape-product length-prefixed elements).
/// </summary>
internal static class TensorBytes
{
    /// <summary>Element count of a request shape; negative dimensions are an error naming the input.</summary>
    public static long ElementCount(string input, long[] shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw ServerErrors.Invalid($"input '{input}' has shape {Shapes.Format(shape)}; every dimension must be >= 0");
            try { n = checked(n * d); }
            catch (OverflowException) { throw ServerErrors.Invalid($"input '{input}' has shape {Shapes.Format(shape)}, which is too large"); }
        }
        return n;
    }

    public static DataType ParseDatatype(string input, string? datatype) =>
        DataTypes.TryParseWire(datatype, out var type)
            ? type
            : throw ServerErrors.Invalid($"input '{input}' has datatype '{datatype}'; expected one of BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16, FP32, FP64, BF16, BYTES");

    /// <summary>Checks raw bytes against shape × element size (or, for BYTES, the element count).</summary>
    public static void CheckRaw(string input, DataType type, long[] shape, ReadOnlySpan<byte> data, string source)
    {
        var count = ElementCount(input, shape);
        if (type == DataType.String)
        {
            var elements = CountStringElements(input, data, source);
            if (elements != count)
                throw ServerErrors.Invalid($"input '{input}' has {elements} BYTES elements in {source}; shape {Shapes.Format(shape)} needs {count}");
            return;
        }
        var expected = count * type.ByteSize();
        if (data.Length != expected)
            throw ServerErrors.Invalid($"input byte size mismatch for input '{input}': {source} holds {data.Length} bytes; shape {Shapes.Format(shape)} of {type.WireName()} needs {expected}");
    }

    /// <summary>Counts KServe BYTES elements (uint32 little-endian length, then the bytes).</summary>
    public static long CountStringElements(string input, ReadOnlySpan<byte> data, string source)
    {
        var n = BytesElements.Count(data, out var error);
        return n >= 0 ? n : throw ServerErrors.Invalid($"input '{input}' BYTES data in {source} is malformed: {error}");
    }

    /// <summary>Splits KServe BYTES data into its elements (the data was checked before).</summary>
    public static List<ReadOnlyMemory<byte>> SplitStrings(ReadOnlyMemory<byte> data) => BytesElements.Split(data);

    /// <summary>Joins elements into KServe BYTES data.</summary>
    public static byte[] JoinStrings(IReadOnlyList<ReadOnlyMemory<byte>> elements) => BytesElements.Join(elements);
}
