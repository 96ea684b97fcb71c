using OvStateful.Core.Sequences;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Serving;

/// <summary>One step of one sequence (or one stateless request), as a protocol front end hands it over.</summary>
public sealed class InferenceRequest
{
    public required string ModelName { get; init; }
    /// <summary>Empty or null = the model's serving version.</summary>
    public string? ModelVersion { get; init; }
    /// <summary>The client's request id, echoed in the response (KServe "id").</summary>
    public string? RequestId { get; init; }
    /// <summary>KServe parameter sequence_id; <see cref="SequenceId.IsNone"/> when absent.</summary>
    public SequenceId SequenceId { get; init; }
    /// <summary>KServe parameter sequence_start.</summary>
    public bool SequenceStart { get; init; }
    /// <summary>KServe parameter sequence_end.</summary>
    public bool SequenceEnd { get; init; }
    public required IReadOnlyList<Tensor> Inputs { get; init; }
    /// <summary>Names of the outputs to return; null or empty = all.</summary>
    public IReadOnlyList<string>? RequestedOutputs { get; init; }
}

/// <summary>The outputs of one step.</summary>
public sealed class InferenceResponse
{
    public required string ModelName { get; init; }
    public required string ModelVersion { get; init; }
    public string? RequestId { get; init; }
    public required IReadOnlyList<Tensor> Outputs { get; init; }
    /// <summary>More string parameters for the response of a sequence step (a cluster node's hint naming the node that holds the sequence); null for none.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Parameters { get; init; }
}
