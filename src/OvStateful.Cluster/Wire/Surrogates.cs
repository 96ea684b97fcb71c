using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;

namespace OvStateful.Cluster.Wire;

// Orleans surrogates for Core's types, so Core stays free of Orleans. They are used only when a
// call crosses nodes: a call to a grain on the same node passes Immutable<T> arguments by reference.

[GenerateSerializer]
internal struct TensorSurrogate
{
    [Id(0)] public string Name;
    [Id(1)] public int DataType;
    [Id(2)] public long[] Shape;
    [Id(3)] public byte[] Data;
}

[RegisterConverter]
internal sealed class TensorConverter : IConverter<Tensor, TensorSurrogate>
{
    public Tensor ConvertFromSurrogate(in TensorSurrogate s) => new(s.Name, (DataType)s.DataType, s.Shape, s.Data);
    public TensorSurrogate ConvertToSurrogate(in Tensor t) => new() { Name = t.Name, DataType = (int)t.DataType, Shape = t.Shape, Data = t.Data.ToArray() };
}

[GenerateSerializer]
internal struct SequenceIdSurrogate
{
    [Id(0)] public ulong Number;
    [Id(1)] public string? Text;
}

[RegisterConverter]
internal sealed class SequenceIdConverter : IConverter<SequenceId, SequenceIdSurrogate>
{
    public SequenceId ConvertFromSurrogate(in SequenceIdSurrogate s) => s.Text is null ? new SequenceId(s.Number) : new SequenceId(s.Text);
    public SequenceIdSurrogate ConvertToSurrogate(in SequenceId id) => new() { Number = id.Number, Text = id.Text };
}

[GenerateSerializer]
internal struct SlotSnapshotSurrogate
{
    [Id(0)] public Tensor[] States;
}

[RegisterConverter]
internal sealed class SlotSnapshotConverter : IConverter<SlotSnapshot, SlotSnapshotSurrogate>
{
    public SlotSnapshot ConvertFromSurrogate(in SlotSnapshotSurrogate s) => new(s.States);
    public SlotSnapshotSurrogate ConvertToSurrogate(in SlotSnapshot s) => new() { States = [.. s.States] };
}

[GenerateSerializer]
internal struct InferenceRequestSurrogate
{
    [Id(0)] public string ModelName;
    [Id(1)] public string? ModelVersion;
    [Id(2)] public string? RequestId;
    [Id(3)] public SequenceId SequenceId;
    [Id(4)] public bool Start;
    [Id(5)] public bool End;
    [Id(6)] public Tensor[] Inputs;
    [Id(7)] public string[]? RequestedOutputs;
}

[RegisterConverter]
internal sealed class InferenceRequestConverter : IConverter<InferenceRequest, InferenceRequestSurrogate>
{
    public InferenceRequest ConvertFromSurrogate(in InferenceRequestSurrogate s) => new()
    {
        ModelName = s.ModelName, ModelVersion = s.ModelVersion, RequestId = s.RequestId, SequenceId = s.SequenceId,
        SequenceStart = s.Start, SequenceEnd = s.End, Inputs = s.Inputs, RequestedOutputs = s.RequestedOutputs,
    };

    public InferenceRequestSurrogate ConvertToSurrogate(in InferenceRequest r) => new()
    {
        ModelName = r.ModelName, ModelVersion = r.ModelVersion, RequestId = r.RequestId, SequenceId = r.SequenceId,
        Start = r.SequenceStart, End = r.SequenceEnd, Inputs = [.. r.Inputs], RequestedOutputs = r.RequestedOutputs is null ? null : [.. r.RequestedOutputs],
    };
}

[GenerateSerializer]
internal struct InferenceResponseSurrogate
{
    [Id(0)] public string ModelName;
    [Id(1)] public string ModelVersion;
    [Id(2)] public string? RequestId;
    [Id(3)] public Tensor[] Outputs;
}

[RegisterConverter]
internal sealed class InferenceResponseConverter : IConverter<InferenceResponse, InferenceResponseSurrogate>
{
    public InferenceResponse ConvertFromSurrogate(in InferenceResponseSurrogate s) => new()
    {
        ModelName = s.ModelName, ModelVersion = s.ModelVersion, RequestId = s.RequestId, Outputs = s.Outputs,
    };

    public InferenceResponseSurrogate ConvertToSurrogate(in InferenceResponse r) => new()
    {
        ModelName = r.ModelName, ModelVersion = r.ModelVersion, RequestId = r.RequestId, Outputs = [.. r.Outputs],
    };
}
