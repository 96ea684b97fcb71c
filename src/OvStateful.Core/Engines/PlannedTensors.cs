using OvStateful.Core.Config;
using OvStateful.Core.State;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Engines;

/// <summary>
/// A request input or output as an engine feeds it: <see cref="ModelShape"/> is the model's
/// shape with the batch dimension at <see cref="BatchAxis"/> (-1 there), every other dimension
/// concrete; each request contributes one row along that axis. For a BYTES (TYPE_STRING)
/// tensor the <see cref="Layout"/> counts elements, not bytes: its rows are strings.
/// </summary>
public sealed record PlannedTensor(TensorSpec Spec, long[] ModelShape, int BatchAxis, BatchAxisLayout Layout)
{
    public string Name => Spec.Name;
    public DataType DataType => Spec.DataType;

    /// <summary>The model shape for a batch of <paramref name="batchSize"/> rows.</summary>
    public long[] BatchShape(int batchSize) => Shapes.WithDimension(ModelShape, BatchAxis, batchSize);
}

/// <summary>A model input fed from a sequence control (START, END, READY, CORRID), one row per batch entry. A TYPE_STRING CORRID is a BYTES tensor (its <see cref="Layout"/> counts elements) holding the string id.</summary>
public sealed record PlannedControl(string Name, ControlKind Kind, DataType DataType, long[] ModelShape, int BatchAxis, BatchAxisLayout Layout, double FalseValue, double TrueValue)
{
    public long[] BatchShape(int batchSize) => Shapes.WithDimension(ModelShape, BatchAxis, batchSize);
}

/// <summary>A model input the server fills with a fixed value (config parameter constant_inputs), never sent by clients.</summary>
public sealed record PlannedConstant(string Name, DataType DataType, long[] Shape, byte[] Data);

/// <summary>A state pair and the row a slot starts from (null = zeros).</summary>
public sealed record PlannedState(StateSpec Spec, byte[]? InitialRow);
