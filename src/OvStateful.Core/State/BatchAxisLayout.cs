using OvStateful.Core.Tensors;

namespace OvStateful.Core.State;

/// <summary>
/// How one batch row (a slot's state or a request's tensor) sits inside a batched tensor
/// whose batch axis may be anywhere: the batched tensor is <c>[outer..., B, inner...]</c>,
/// so a row is <see cref="Outer"/> blocks of <see cref="InnerBytes"/>, block o of row b at
/// byte <c>(o * B + b) * InnerBytes</c>. With the batch axis at 0, Outer is 1 and a row is
/// one contiguous block.
/// </summary>
public readonly record struct BatchAxisLayout(int Outer, int InnerBytes)
{
    /// <summary>Bytes of one row.</summary>
    public int RowBytes => Outer * InnerBytes;

    /// <summary>Bytes of a batched tensor of <paramref name="batchSize"/> rows.</summary>
    public int BatchBytes(int batchSize) => RowBytes * batchSize;

    /// <param name="shape">The batched shape; the value at <paramref name="batchAxis"/> is ignored (may be -1).</param>
    /// <param name="batchAxis">The batch axis, or -1 for a tensor with no batch axis (every row is the whole tensor).</param>
    public static BatchAxisLayout For(ReadOnlySpan<long> shape, int batchAxis, DataType type)
    {
        long outer = 1, inner = type.ByteSize();
        for (var i = 0; i < shape.Length; i++)
        {
            if (i == batchAxis) continue;
            if (shape[i] < 0) throw new ArgumentException($"shape {Shapes.Format(shape)} has a dynamic dimension at {i} besides the batch axis {batchAxis}");
            if (batchAxis >= 0 && i < batchAxis) outer *= shape[i];
            else inner *= shape[i];
        }
        return new BatchAxisLayout(checked((int)outer), checked((int)inner));
    }

    /// <summary>Copies a contiguous row into row <paramref name="b"/> of a batched tensor of <paramref name="batchSize"/> rows.</summary>
    public void CopyRowIn(ReadOnlySpan<byte> row, Span<byte> batch, int b, int batchSize)
    {
        if (Outer == 1)
        {
            row[..InnerBytes].CopyTo(batch.Slice(b * InnerBytes, InnerBytes));
            return;
        }
        for (var o = 0; o < Outer; o++)
        {
            row.Slice(o * InnerBytes, InnerBytes).CopyTo(batch.Slice((o * batchSize + b) * InnerBytes, InnerBytes));
        }
    }

    /// <summary>Copies row <paramref name="b"/> of a batched tensor out into a contiguous row.</summary>
    public void CopyRowOut(ReadOnlySpan<byte> batch, int b, int batchSize, Span<byte> row)
    {
        if (Outer == 1)
        {
            batch.Slice(b * InnerBytes, InnerBytes).CopyTo(row);
            return;
        }
        for (var o = 0; o < Outer; o++)
        {
            batch.Slice((o * batchSize + b) * InnerBytes, InnerBytes).CopyTo(row.Slice(o * InnerBytes, InnerBytes));
        }
    }
}
