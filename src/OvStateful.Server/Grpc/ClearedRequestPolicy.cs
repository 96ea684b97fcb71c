using Microsoft.Extensions.ObjectPool;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Grpc;

/// <summary>
/// How a stream's parsed requests are pooled (<see cref="GrpcStreamInfer.Requests"/>): a returned
/// message is cleared, so the next request merged into it equals one parsed afresh. A rented
/// message belongs to the handler that reads it until the handler has built its answer; the
/// handler then returns it, and must not read it again. Nothing else may keep a pooled message:
/// the tensors decoded from it refer to its byte strings, which a clear drops and never changes,
/// so they outlive the message's reuse.
/// </summary>
internal sealed class ClearedRequestPolicy : IPooledObjectPolicy<Proto.ModelInferRequest>
{
    public Proto.ModelInferRequest Create() => new();

    public bool Return(Proto.ModelInferRequest obj)
    {
        obj.Clear();
        return true;
    }
}
