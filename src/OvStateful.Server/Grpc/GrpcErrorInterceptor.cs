using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace OvStateful.Server.Grpc;

/// <summary>
/// Every handler's exception becomes the call's status through <see cref="GrpcErrors"/>, so
/// a bad request fails alone with its message and the connection keeps serving. Failures of
/// the server itself are logged as warnings; the client's mistakes and departures only at debug level.
/// </summary>
internal sealed class GrpcErrorInterceptor(ILogger<GrpcErrorInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await ResponseEncoding.MirrorAsync(context).ConfigureAwait(false);
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Failed(context, e);
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not RpcException)
        {
            throw Failed(context, e);
        }
    }

    private RpcException Failed(ServerCallContext context, Exception e)
    {
        var status = GrpcErrors.From(e);
        // A client that goes away (its stream aborted, its call cancelled) is normal, not a server failure.
        var clientGone = context.CancellationToken.IsCancellationRequested;
        if (!clientGone && status.StatusCode is StatusCode.Internal or StatusCode.Unknown) logger.LogWarning(e, "gRPC {Method} failed: {Status} {Message}", context.Method, status.StatusCode, status.Detail);
        else logger.LogDebug("gRPC {Method} ended with {Status}: {Message}", context.Method, status.StatusCode, status.Detail);
        return new RpcException(status);
    }
}
