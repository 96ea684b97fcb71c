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

/// <summary>
/// The outputs of one step. A model's sequence batcher hands out pooled responses: the caller
/// that gets one from <see cref="IServedModel.InferAsync"/> owns it and may give it back with
/// <see cref="Release"/> once it has read it (written it to the wire); releasing is optional.
/// </summary>
public sealed class InferenceResponse
{
    private string _modelName = "";
    private string _modelVersion = "";
    private string? _requestId;
    private IReadOnlyList<Tensor> _outputs = [];
    private IReadOnlyList<KeyValuePair<string, string>>? _parameters;
    // The pooled storage this response returns to on Release; null for a response made with new (Release does nothing).
    private readonly PooledOutputs? _storage;
    // 1 while the response is out of its pool (its owner may read and release it), 0 once released; always 0 without storage.
    private int _leased;

    public InferenceResponse() { }

    internal InferenceResponse(PooledOutputs storage) => _storage = storage;

    public required string ModelName { get => _modelName; init => _modelName = value; }
    public required string ModelVersion { get => _modelVersion; init => _modelVersion = value; }
    public string? RequestId { get => _requestId; init => _requestId = value; }
    public required IReadOnlyList<Tensor> Outputs { get => _outputs; init => _outputs = value; }
    /// <summary>More string parameters for the response of a sequence step (a cluster node's hint naming the node that holds the sequence); null for none.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Parameters { get => _parameters; init => _parameters = value; }

    /// <summary>The storage of a pooled response (its output tensors' bytes), null for one made with new.</summary>
    internal PooledOutputs? Storage => _storage;

    /// <summary>
    /// Gives a pooled response back to the model that made it: its tensors' bytes are then
    /// reused for a later step's answer, so after this call neither the response nor any tensor
    /// of its <see cref="Outputs"/> may be read. Only the response's owner (the caller that got
    /// it from InferAsync and did not hand it on) may call it, once it is done with it; a caller
    /// that keeps the response or its tensors (a cache, another response built from them) never
    /// calls it. A response made with new, or released already, is left alone.
    /// </summary>
    public void Release()
    {
        if (_storage is null || Interlocked.Exchange(ref _leased, 0) == 0) return;
        _requestId = null;
        _parameters = null;
        _outputs = [];
        _storage.Return(this);
    }

    /// <summary>Refills a pooled response taken from its pool (the loop thread that builds it owns it until it completes the step).</summary>
    internal InferenceResponse Lease(string modelName, string modelVersion, string? requestId, IReadOnlyList<Tensor> outputs)
    {
        _modelName = modelName;
        _modelVersion = modelVersion;
        _requestId = requestId;
        _outputs = outputs;
        _parameters = null;
        Volatile.Write(ref _leased, 1);
        return this;
    }
}
