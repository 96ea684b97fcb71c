using OvStateful.Core.Serving;
using OvStateful.Server.Hosting;
using OvStateful.Server.Protocol;
using OvStateful.Server.SharedMemory;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Grpc;

/// <summary>
/// One ModelInferRequest through its model, for ModelInfer and each message of ModelStreamInfer
/// alike. <see cref="Begin"/> runs synchronously up to the step (resolve, decode, reading inputs
/// from shared memory, queue); the caller awaits <see cref="Step"/> in its own one frame (a
/// frame here per message would be garbage per step), maps what fails with <see cref="Failure"/>,
/// then <see cref="Finish"/> writes shared-memory outputs and encodes. Disposed once the
/// response is encoded (it releases the request's shared-memory bindings).
/// </summary>
internal readonly struct GrpcInferCall : IDisposable
{
    private readonly IServedModel _model;
    private readonly InferenceRequest _request;
    private readonly SharedMemoryTensors? _sharedMemory;
    private readonly CancellationToken _cancellationToken;

    private GrpcInferCall(IServedModel model, InferenceRequest request, SharedMemoryTensors? sharedMemory, CancellationToken cancellationToken, ValueTask<InferenceResponse> step)
    {
        _model = model;
        _request = request;
        _sharedMemory = sharedMemory;
        _cancellationToken = cancellationToken;
        Step = step;
    }

    /// <summary>The queued step; what it throws goes through <see cref="Failure"/>.</summary>
    public ValueTask<InferenceResponse> Step { get; }

    /// <summary>Resolves, decodes and queues the step. A request that cannot be resolved or decoded throws here, as it is.</summary>
    public static GrpcInferCall Begin(ServerServices s, Proto.ModelInferRequest message, CancellationToken cancellationToken)
    {
        var model = s.Resolver.Resolve(message.ModelName, message.ModelVersion);
        var request = GrpcInferCodec.Decode(message, s.SharedMemory, out var sharedMemory);
        ValueTask<InferenceResponse> step;
        try
        {
            step = s.Invoker.StepAsync(model, request, cancellationToken);
        }
        catch (Exception e)
        {
            step = ValueTask.FromException<InferenceResponse>(e);
        }
        return new GrpcInferCall(model, request, sharedMemory, cancellationToken, step);
    }

    /// <summary>
    /// The whole call in a frame of its own, for ModelInfer. Its response is never released:
    /// Grpc.AspNetCore serializes the message after the handler returns, reading the response's tensors.
    /// </summary>
    public static async Task<Proto.ModelInferResponse> RunAsync(ServerServices s, Proto.ModelInferRequest message, CancellationToken cancellationToken)
    {
        using var call = Begin(s, message, cancellationToken);
        InferenceResponse response;
        try
        {
            response = await call.Step.ConfigureAwait(false);
        }
        catch (Exception e) when (call.Failure(e) is var failure && failure != e)
        {
            throw failure;
        }
        return call.Finish(response);
    }

    /// <summary>What a failed step reports (as <see cref="InferenceInvoker.InferAsync"/> reports it).</summary>
    public Exception Failure(Exception e) => InferenceInvoker.Failure(_model, e, _cancellationToken);

    /// <summary>
    /// Writes shared-memory outputs and encodes (into <paramref name="into"/> when given: a written
    /// response to refill). The message's raw outputs refer to <paramref name="response"/>'s
    /// tensors: whoever writes the message may release the response once it is serialized, and only then.
    /// </summary>
    public Proto.ModelInferResponse Finish(InferenceResponse response, Proto.ModelInferResponse? into = null)
    {
        _sharedMemory?.WriteOutputs(response);
        return GrpcInferCodec.Encode(response, _request, _sharedMemory, into);
    }

    public void Dispose() => _sharedMemory?.Dispose();
}
