using OvStateful.Core.Tensors;

namespace OvStateful.Core.Engines;

/// <summary>
/// A request input or output of a loaded model. Every step of every sequence carries a
/// tensor of exactly <see cref="RequestShape"/> (for batching models that is the config's
/// leading request-batch dimension of 1 followed by the dims, the -1 written as 1).
/// </summary>
public sealed record TensorSpec(string Name, DataType DataType, long[] RequestShape)
{
    /// <summary>Bytes of one request's tensor.</summary>
    public int RequestBytes { get; } = checked((int)(Shapes.ElementCount(RequestShape) * DataType.ByteSize()));
}

/// <summary>
/// A state pair <c>&lt;&lt;&lt;InputName, OutputName&gt;&gt;&gt;</c>: the model reads the previous state from
/// <see cref="InputName"/> and writes the next one to <see cref="OutputName"/>.
/// <see cref="ModelShape"/> has exactly one -1, at <see cref="BatchAxis"/>.
/// </summary>
public sealed record StateSpec(string InputName, string OutputName, DataType DataType, long[] ModelShape, int BatchAxis)
{
    /// <summary>Shape of one slot's state: the model shape with the batch axis set to 1.</summary>
    public long[] SlotShape { get; } = Shapes.WithDimension(ModelShape, BatchAxis, 1);

    /// <summary>Bytes of one slot's state (computed once: the hot path reads it per row).</summary>
    public int SlotBytes { get; } = checked((int)(Shapes.ElementCount(Shapes.WithDimension(ModelShape, BatchAxis, 1)) * DataType.ByteSize()));

    /// <summary>The state tensor's shape for a batch of <paramref name="batchSize"/> slots.</summary>
    public long[] BatchShape(int batchSize) => Shapes.WithDimension(ModelShape, BatchAxis, batchSize);
}
