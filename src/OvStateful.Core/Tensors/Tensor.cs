namespace OvStateful.Core.Tensors;

/// <summary>
/// A named tensor whose bytes live in managed memory, row-major, little-endian.
/// For <see cref="DataType.String"/> the bytes are KServe's length-prefixed (uint32) elements.
/// </summary>
public sealed record Tensor(string Name, DataType DataType, long[] Shape, ReadOnlyMemory<byte> Data)
{
    public long ElementCount => Shapes.ElementCount(Shape);

    public static Tensor FromArray<T>(string name, DataType type, long[] shape, T[] values) where T : unmanaged
    {
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        return new Tensor(name, type, shape, bytes);
    }

    /// <summary>Copies the elements out as <typeparamref name="T"/> (the caller picks the type matching <see cref="DataType"/>).</summary>
    public T[] ToArray<T>() where T : unmanaged =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(Data.Span).ToArray();

    public override string ToString() => $"{Name} {DataType.WireName()} {Shapes.Format(Shape)}";
}
