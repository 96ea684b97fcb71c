namespace OvStateful.Core.Serving;

/// <summary>What went wrong with a request, so each front end can pick its status code.</summary>
public enum InferenceErrorKind
{
    /// <summary>The request itself is wrong (HTTP 400, gRPC INVALID_ARGUMENT).</summary>
    InvalidArgument,
    /// <summary>Unknown model, version or sequence (HTTP 404 / 400 for sequences, gRPC NOT_FOUND).</summary>
    NotFound,
    /// <summary>The model is not ready or the server is shutting down (HTTP 503, gRPC UNAVAILABLE).</summary>
    Unavailable,
    /// <summary>A limit was hit: queue full, body too large (HTTP 429/413, gRPC RESOURCE_EXHAUSTED).</summary>
    ResourceExhausted,
    /// <summary>The client cancelled (gRPC CANCELLED).</summary>
    Cancelled,
    /// <summary>The engine failed (HTTP 500, gRPC INTERNAL).</summary>
    Internal,
    /// <summary>Something of that name exists already, e.g. a shared-memory region (HTTP 400, gRPC ALREADY_EXISTS, as Triton answers).</summary>
    AlreadyExists,
}

/// <summary>A request failed; the message names the model, the sequence and the field at fault.</summary>
public sealed class InferenceException(InferenceErrorKind kind, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public InferenceErrorKind Kind { get; } = kind;
}
