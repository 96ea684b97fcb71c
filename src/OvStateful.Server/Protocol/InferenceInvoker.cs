using Microsoft.Extensions.Logging;
using OvStateful.Core.Serving;

namespace OvStateful.Server.Protocol;

/// <summary>
/// The one path from a decoded request to a model, shared by HTTP and gRPC: run it, and turn
/// whatever escapes into an <see cref="InferenceException"/>. The model validates the request
/// (Core's <see cref="RequestValidator"/>, once, before the step is queued). At verbose
/// levels (Debug) every failed request is logged with its model, sequence and reason.
/// </summary>
internal sealed class InferenceInvoker(ModelResolver resolver, ILogger log)
{
    public ModelResolver Resolver { get; } = resolver;

    /// <summary>Runs the request; without Debug logging there is no frame of its own, only <see cref="RunAsync"/>'s.</summary>
    public ValueTask<InferenceResponse> InferAsync(IServedModel model, InferenceRequest request, CancellationToken cancellationToken) =>
        log.IsEnabled(LogLevel.Debug) ? LoggedAsync(model, request, cancellationToken) : RunAsync(model, request, cancellationToken);

    // Pooled state machines: the await on the step really waits, and a box per request would be garbage per step.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<InferenceResponse> LoggedAsync(IServedModel model, InferenceRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(model, request, cancellationToken).ConfigureAwait(false);
        }
        catch (InferenceException e) when (Logged(model, request, e))
        {
            throw; // not reached: Logged is false
        }
    }

    private bool Logged(IServedModel model, InferenceRequest request, InferenceException e)
    {
        log.LogDebug("request failed: model {Model}, sequence {SequenceId}, {Kind}: {Reason}",
            model.Name, request.SequenceId.IsNone ? "none" : request.SequenceId.ToString(), e.Kind, e.Message);
        return false;
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<InferenceResponse> RunAsync(IServedModel model, InferenceRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await model.InferAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (InferenceException e) when (e.Kind == InferenceErrorKind.NotFound)
        {
            // The model was found, so NOT_FOUND from it means an unknown sequence: a bad
            // request (Triton answers INVALID_ARGUMENT), not a missing resource.
            throw new InferenceException(InferenceErrorKind.InvalidArgument, e.Message, e);
        }
        catch (InferenceException)
        {
            throw;
        }
        catch (OperationCanceledException e) when (cancellationToken.IsCancellationRequested)
        {
            throw new InferenceException(InferenceErrorKind.Cancelled, $"request to model '{model.Name}' was cancelled", e);
        }
        catch (ObjectDisposedException e)
        {
            throw new InferenceException(InferenceErrorKind.Unavailable, $"model '{model.Name}' was unloaded while the request ran", e);
        }
        catch (Exception e)
        {
            throw new InferenceException(InferenceErrorKind.Internal, $"model '{model.Name}' failed: {e.Message}", e);
        }
    }

    /// <summary>Any exception as an <see cref="InferenceException"/>, for the protocol's error mapping.</summary>
    public static InferenceException AsInferenceException(Exception e) => e switch
    {
        InferenceException ie => ie,
        OperationCanceledException => new InferenceException(InferenceErrorKind.Cancelled, "the request was cancelled", e),
        _ => new InferenceException(InferenceErrorKind.Internal, e.Message, e),
    };
}
