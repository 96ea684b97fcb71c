namespace OvStateful.Core.Tensors;

/// <summary>Shape helpers. A dimension of -1 is dynamic (the batch axis for states).</summary>
public static class Shapes
{
    /// <summary>Product of the dimensions; 1 for a scalar. Dynamic (-1) dimensions are an error here.</summary>
    public static long ElementCount(ReadOnlySpan<long> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"shape {Format(shape)} has a dynamic dimension; a concrete shape was expected");
            n = checked(n * d);
        }
        return n;
    }

    /// <summary>A copy of <paramref name="shape"/> with dimension <paramref name="axis"/> set to <paramref name="value"/>; a plain copy when axis is negative (no batch axis).</summary>
    public static long[] WithDimension(ReadOnlySpan<long> shape, int axis, long value)
    {
        var s = shape.ToArray();
        if (axis >= 0) s[axis] = value;
        return s;
    }

    public static string Format(ReadOnlySpan<long> shape)
    {
        var parts = new string[shape.Length];
        for (var i = 0; i < shape.Length; i++) parts[i] = shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        return "[" + string.Join(", ", parts) + "]";
    }

    public static bool SequenceEqual(ReadOnlySpan<long> a, ReadOnlySpan<long> b) => a.SequenceEqual(b);
}
