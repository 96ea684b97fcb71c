using Microsoft.AspNetCore.Http;
using OvStateful.Server.Hosting;

namespace OvStateful.Server.Http;

/// <summary>
/// POST /v2/models/{model}[/versions/{version}]/infer. One async frame per request and one
/// await that really waits, on the step: the body is normally there when the handler runs
/// (read without waiting), the response is written into Kestrel's pipe without flushing
/// (Kestrel sends it as the request ends). Allocates nothing of its own in the steady state
/// (<see cref="InferExchange"/>, <see cref="BodyLease"/>); what remains per request is Core's
/// request and response objects and Kestrel's.
/// </summary>
internal static class HttpInfer
{
    public static async Task HandleAsync(HttpContext ctx, ServerServices s, string model, string? version)
    {
        var exchange = InferExchange.Rent();
        var body = default(BodyLease);
        try
        {
            var served = s.Resolver.Resolve(model, version);
            body = await HttpBody.ReadAsync(ctx, s.Options.MaxRequestBodyBytes).ConfigureAwait(false);
            var request = HttpInferCodec.Decode(served, version, body.Memory, HttpInferCodec.HeaderLength(ctx.Request), exchange);
            var response = await s.Invoker.InferAsync(served, request, ctx.RequestAborted).ConfigureAwait(false);
            HttpInferCodec.Write(ctx.Response, response, request, exchange);
        }
        catch (Exception e) when (HttpErrors.IsTheClients(ctx, e))
        {
            await HttpErrors.WriteAsync(ctx, e).ConfigureAwait(false);
        }
        finally
        {
            // The step is over (answered, failed or never run): nothing refers to the body or the exchange any more.
            body.Dispose();
            InferExchange.Return(exchange);
        }
    }
}
