using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Logging;
using OvStateful.Server.Hosting;

namespace OvStateful.Server.Grpc;

/// <summary>
/// The gRPC port's whole request pipeline: POST /{package}.{Service}/{Method} with
/// content-type application/grpc over HTTP/2, dispatched to a handler; every handler's
/// error becomes the call's status, and the connection keeps serving.
/// </summary>
internal sealed class GrpcEndpoint
{
    private readonly Dictionary<string, Func<GrpcCall, Task>> _methods = new(StringComparer.Ordinal);
    private readonly ServerServices _services;
    private readonly ILogger _logger;

    public GrpcEndpoint(ServerServices services, ILogger<GrpcEndpoint> logger)
    {
        _services = services;
        _logger = logger;
        GrpcInferenceService.Register(this, services);
        GrpcSequenceIdService.Register(this, services);
    }

    public void Add(string service, string method, Func<GrpcCall, Task> handler) => _methods["/" + service + "/" + method] = handler;

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (!HttpMethods.IsPost(request.Method) || request.ContentType is not { } type || !type.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase))
        {
            // Not gRPC at all: plain HTTP answer, as the gRPC-over-HTTP/2 spec asks.
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }
        if (type.Length > "application/grpc".Length && !type.StartsWith("application/grpc+proto", StringComparison.OrdinalIgnoreCase)
            && type[16] != ';')
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        // gRPC messages have their own limit (MaxRequestBodyBytes per message); a stream may carry many.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = null;
        // A stream may sit idle between steps; Kestrel's minimum body data rate would cut it off.
        if (context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate) rate.MinDataRate = null;

        using var call = new GrpcCall(context, _services.Options.MaxRequestBodyBytes);
        try
        {
            if (!request.Protocol.StartsWith("HTTP/2", StringComparison.Ordinal))
                throw new GrpcProtocolException(GrpcStatusCode.Internal, $"gRPC needs HTTP/2; the request came as {request.Protocol}");
            if (!_methods.TryGetValue(request.Path.Value ?? "", out var handler))
                throw new GrpcProtocolException(GrpcStatusCode.Unimplemented, $"method '{request.Path}' is not served; services: inference.GRPCInferenceService, ovs.SequenceIdService");
            await handler(call).ConfigureAwait(false);
            await call.CompleteAsync(GrpcStatusCode.Ok, null).ConfigureAwait(false);
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
        {
            var (status, message) = call.DeadlineExceeded
                ? (GrpcStatusCode.DeadlineExceeded, $"deadline of {call.Deadline} (grpc-timeout) passed before {request.Path} completed")
                : GrpcErrors.From(e);
            if (status is GrpcStatusCode.Internal or GrpcStatusCode.Unknown) _logger.LogWarning(e, "gRPC {Path} failed: {Status} {Message}", request.Path, status, message);
            else _logger.LogDebug("gRPC {Path} ended with {Status}: {Message}", request.Path, status, message);
            await call.CompleteAsync(status, message).ConfigureAwait(false);
        }
        catch (Exception e) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody is left to read a status.
            _logger.LogDebug(e, "gRPC {Path}: client went away", request.Path);
        }
    }
}
