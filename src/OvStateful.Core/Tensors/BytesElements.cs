using System.Buffers.Binary;

namespace OvStateful.Core.Tensors;

/// <summary>
/// Triton's serialized form of a BYTES (TYPE_STRING) tensor, the form its data has everywhere in
/// Core (requests, responses, <see cref="Engines.StepBatch"/>): each element a 4-byte
/// little-endian length, then that many bytes, elements concatenated in row-major order; the
/// element count comes from the shape. Elements are arbitrary bytes (not necessarily UTF-8).
/// </summary>
public static class BytesElements
{
    /// <summary>Bytes of the length prefix of each element.</summary>
    public const int PrefixBytes = 4;

    /// <summary>The number of elements in <paramref name="data"/>, or -1 when it is malformed (then <paramref name="error"/> says where).</summary>
    public static long Count(ReadOnlySpan<byte> data, out string? error)
    {
        error = null;
        long n = 0;
        var offset = 0;
        while (offset < data.Length)
        {
            if (data.Length - offset < PrefixBytes)
            {
                error = $"element {n} ends inside its 4-byte length prefix";
                return -1;
            }
            var length = BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]);
            offset += PrefixBytes;
            if (length > (uint)(data.Length - offset))
            {
                error = $"element {n} claims {length} bytes but only {data.Length - offset} remain";
                return -1;
            }
            offset += (int)length;
            n++;
        }
        return n;
    }

    /// <summary>Serialized size of one element of <paramref name="length"/> bytes.</summary>
    public static int SizeOf(int length) => checked(PrefixBytes + length);

    /// <summary>Writes one element at the start of <paramref name="destination"/>; returns the bytes written.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> element)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)element.Length);
        element.CopyTo(destination[PrefixBytes..]);
        return PrefixBytes + element.Length;
    }

    /// <summary>Joins elements into the serialized form.</summary>
    public static byte[] Join(IReadOnlyList<ReadOnlyMemory<byte>> elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        var total = 0;
        foreach (var e in elements) total = checked(total + SizeOf(e.Length));
        var bytes = new byte[total];
        var offset = 0;
        foreach (var e in elements) offset += Write(bytes.AsSpan(offset), e.Span);
        return bytes;
    }

    /// <summary>Splits well-formed serialized data into its elements (views into <paramref name="data"/>).</summary>
    public static List<ReadOnlyMemory<byte>> Split(ReadOnlyMemory<byte> data)
    {
        var list = new List<ReadOnlyMemory<byte>>();
        var offset = 0;
        var span = data.Span;
        while (offset + PrefixBytes <= span.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(span[offset..]);
            offset += PrefixBytes;
            if (length > span.Length - offset) break;
            list.Add(data.Slice(offset, length));
            offset += length;
        }
        return list;
    }

    /// <summary>Reads the elements of well-formed serialized data one after another, without allocating.</summary>
    public ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _offset;

        /// <summary>The next element; false at the end (or at a malformed tail, which checked data never has).</summary>
        public bool Next(out ReadOnlySpan<byte> element)
        {
            element = default;
            if (_data.Length - _offset < PrefixBytes) return false;
            var length = BinaryPrimitives.ReadUInt32LittleEndian(_data[_offset..]);
            if (length > (uint)(_data.Length - _offset - PrefixBytes)) return false;
            element = _data.Slice(_offset + PrefixBytes, (int)length);
            _offset += PrefixBytes + (int)length;
            return true;
        }
    }
}
