using Microsoft.ML.OnnxRuntime;
using OvStateful.Core.State;
using OvStateful.Core.Tensors;

namespace OvStateful.OnnxRuntime;

/// <summary>
/// Rows of batched ONNX Runtime string tensors, to and from Triton's serialized BYTES form
/// (<see cref="BytesElements"/>). A string tensor cannot sit over our pinned bytes as numeric
/// ones do: ONNX Runtime owns its strings. So each batch size gets one string OrtValue, bound
/// once like the numeric ones, whose elements are set before a run and read after it, element
/// by element through the official API (raw bytes both ways: no UTF-8 decoding, embedded zeros
/// kept). Layouts of string tensors count elements (<see cref="Core.Engines.PlannedTensor"/>).
/// Only models with string tensors come here.
/// </summary>
internal static class OrtStringTensors
{
    /// <summary>An OrtValue of empty strings of <paramref name="shape"/>, owned by ONNX Runtime's default allocator.</summary>
    public static OrtValue Create(long[] shape) => OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, shape);

    /// <summary>Row <paramref name="row"/> of <paramref name="value"/> takes the elements of <paramref name="serialized"/> (checked by the request validator: exactly one row's count).</summary>
    public static void SetRow(OrtValue value, BatchAxisLayout layout, ReadOnlySpan<byte> serialized, int row, int batchSize)
    {
        var reader = new BytesElements.Reader(serialized);
        for (var i = 0; i < layout.RowBytes; i++)
        {
            // A short row (never past the validator) reads as empty strings rather than stale ones.
            if (!reader.Next(out var element)) element = default;
            value.StringTensorSetElementAt(element, FlatIndex(layout, i, row, batchSize));
        }
    }

    /// <summary>Every element of row <paramref name="row"/> becomes <paramref name="text"/> (UTF-8): a TYPE_STRING CORRID control, "" for padding.</summary>
    public static void SetRowText(OrtValue value, BatchAxisLayout layout, ReadOnlySpan<char> text, int row, int batchSize)
    {
        for (var i = 0; i < layout.RowBytes; i++) value.StringTensorSetElementAt(text, FlatIndex(layout, i, row, batchSize));
    }

    /// <summary>
    /// Serializes row <paramref name="row"/> into <paramref name="buffer"/> (grown when too small,
    /// then reused); returns the bytes written.
    /// </summary>
    public static int GetRow(OrtValue value, BatchAxisLayout layout, int row, int batchSize, ref byte[] buffer)
    {
        var total = 0;
        for (var i = 0; i < layout.RowBytes; i++) total = checked(total + BytesElements.SizeOf(value.GetStringElementAsSpan(FlatIndex(layout, i, row, batchSize)).Length));
        if (buffer.Length < total) buffer = new byte[Math.Max(total, buffer.Length * 2)];
        var offset = 0;
        for (var i = 0; i < layout.RowBytes; i++) offset += BytesElements.Write(buffer.AsSpan(offset), value.GetStringElementAsSpan(FlatIndex(layout, i, row, batchSize)));
        return offset;
    }

    // Element i of row b in [outer..., B, inner...]: outer block i / Inner, element i % Inner within it.
    private static int FlatIndex(BatchAxisLayout layout, int i, int row, int batchSize) =>
        (i / layout.InnerBytes * batchSize + row) * layout.InnerBytes + i % layout.InnerBytes;
}
