using OvStateful.Core.Serving;
using OvStateful.Server.Hosting;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Grpc;

/// <summary>One ModelInferRequest through its model, for ModelInfer and each message of ModelStreamInfer alike.</summary>
internal static class GrpcInferCall
{
    /// <summary>
    /// Resolves the model, decodes (reading inputs from shared memory), runs, writes shared-memory
    /// outputs, encodes (into <paramref name="into"/> when given: a written response to refill).
    /// The message's raw outputs refer to <c>Source</c>'s tensors: whoever writes the message may
    /// release <c>Source</c> once it is serialized, and only then.
    /// </summary>
    public static async Task<(Proto.ModelInferResponse Message, InferenceResponse Source)> RunAsync(ServerServices s, Proto.ModelInferRequest message, CancellationToken cancellationToken, Proto.ModelInferResponse? into = null)
    {
        var model = s.Resolver.Resolve(message.ModelName, message.ModelVersion);
        var request = GrpcInferCodec.Decode(message, s.SharedMemory, out var sharedMemory);
        using (sharedMemory)
        {
            var response = await s.Invoker.InferAsync(model, request, cancellationToken).ConfigureAwait(false);
            sharedMemory?.WriteOutputs(response);
            return (GrpcInferCodec.Encode(response, request, sharedMemory, into), response);
        }
    }
}
