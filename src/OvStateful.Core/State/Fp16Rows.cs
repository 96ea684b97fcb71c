using System.Runtime.InteropServices;

namespace OvStateful.Core.State;

/// <summary>
/// FP32 ⇄ FP16 conversion of state rows for store_states_as_fp16: a stored row is the FP32
/// row's elements as halves, in the same order, so a layout's blocks map one to one.
/// </summary>
internal static class Fp16Rows
{
    public static void Narrow(ReadOnlySpan<byte> floats, Span<byte> halves)
    {
        var f = MemoryMarshal.Cast<byte, float>(floats);
        var h = MemoryMarshal.Cast<byte, Half>(halves);
        for (var i = 0; i < f.Length; i++) h[i] = (Half)f[i];
    }

    public static void Widen(ReadOnlySpan<byte> halves, Span<byte> floats)
    {
        var h = MemoryMarshal.Cast<byte, Half>(halves);
        var f = MemoryMarshal.Cast<byte, float>(floats);
        for (var i = 0; i < h.Length; i++) f[i] = (float)h[i];
    }

    /// <summary>Like <see cref="BatchAxisLayout.CopyRowIn"/>, from a stored FP16 row into an FP32 batch.</summary>
    public static void WidenRowIn(BatchAxisLayout layout, ReadOnlySpan<byte> halfRow, Span<byte> batch, int b, int batchSize)
    {
        var halfBlock = layout.InnerBytes / 2;
        for (var o = 0; o < layout.Outer; o++)
            Widen(halfRow.Slice(o * halfBlock, halfBlock), batch.Slice((o * batchSize + b) * layout.InnerBytes, layout.InnerBytes));
    }

    /// <summary>Like <see cref="BatchAxisLayout.CopyRowOut"/>, from an FP32 batch into a stored FP16 row.</summary>
    public static void NarrowRowOut(BatchAxisLayout layout, ReadOnlySpan<byte> batch, int b, int batchSize, Span<byte> halfRow)
    {
        var halfBlock = layout.InnerBytes / 2;
        for (var o = 0; o < layout.Outer; o++)
            Narrow(batch.Slice((o * batchSize + b) * layout.InnerBytes, layout.InnerBytes), halfRow.Slice(o * halfBlock, halfBlock));
    }
}
