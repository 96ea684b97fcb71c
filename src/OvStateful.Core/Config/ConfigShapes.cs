using OvStateful.Core.Tensors;

namespace OvStateful.Core.Config;

/// <summary>
/// How config dims map onto the model file's shapes. With max_batch_size &gt; 0 Triton's usual
/// convention is that dims leave out the batch dimension, so the model sees [B] + dims. The
/// Triton stateful backend's convention instead writes the batch axis in place as the one -1
/// (dims [4, -1, 5] for a model input [4, B, 5]). With max_batch_size 0 the dims are the model shape.
/// </summary>
public static class ConfigShapes
{
    /// <summary>
    /// The model shape that <paramref name="dims"/> describe, with -1 for the batch axis and for
    /// variable dimensions. When the model file's rank is known it decides between the two
    /// conventions (same rank: batch axis in place; one more: leading batch axis); otherwise a
    /// single -1 in dims is taken as the batch axis in place.
    /// </summary>
    public static long[] ModelShape(ModelConfig config, IReadOnlyList<long> dims, int? fileRank = null)
    {
        if (config.MaxBatchSize <= 0) return [.. dims];
        var minusOnes = dims.Count(d => d == -1);
        var inPlace = fileRank switch
        {
            int r when r == dims.Count && minusOnes >= 1 => true,
            int r when r == dims.Count + 1 => false,
            // No file, or a rank that fits neither convention: a single -1 is the batch axis in place.
            _ => minusOnes == 1,
        };
        return inPlace ? [.. dims] : [-1, .. dims];
    }

    /// <summary>The batch axis of a model shape from <see cref="ModelShape"/>; -1 when the model does not batch.</summary>
    public static int BatchAxis(ModelConfig config, IReadOnlyList<long> dims, int? fileRank = null)
    {
        if (config.MaxBatchSize <= 0) return -1;
        var shape = ModelShape(config, dims, fileRank);
        return shape.Length == dims.Count ? Array.IndexOf(shape, -1L) : 0;
    }

    /// <summary>How many dimensions are dynamic (-1).</summary>
    public static int DynamicCount(ReadOnlySpan<long> shape)
    {
        var n = 0;
        foreach (var d in shape)
        {
            if (d < 0) n++;
        }
        return n;
    }

    public static string Format(IReadOnlyList<long> shape) => Shapes.Format(shape.ToArray());
}
