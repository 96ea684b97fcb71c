using Microsoft.AspNetCore.Http;
using OvStateful.Core.Serving;
using OvStateful.Server.Hosting;
using OvStateful.Server.Protocol;

namespace OvStateful.Server.Http;

/// <summary>
/// POST /v2/models/{model}[/versions/{version}]/infer. Up to the step, everything runs
/// synchronously (the body is normally there when the handler runs); one async frame then
/// holds only what the response needs, across the one await that really waits, on the step.
/// The response is written into Kestrel's pipe without flushing (Kestrel sends it as the
/// request ends). Allocates nothing of its own in the steady state but that frame
/// (<see cref="InferExchange"/>, <see cref="BodyLease"/>); what remains per request is Core's
/// request and response objects and Kestrel's.
/// </summary>
internal static class HttpInfer
{
    public static Task HandleAsync(HttpContext ctx, ServerServices s, string model, string? version)
    {
        var exchange = InferExchange.Rent();
        IServedModel served;
        ValueTask<BodyLease> read;
        try
        {
            served = s.Resolver.Resolve(model, version);
            // The model's own name string, once: later requests for it are matched without making one.
            if (!ReferenceEquals(model, served.Name)) InferRoute.Served(served.Name);
            read = HttpBody.ReadAsync(ctx, s.Options.MaxRequestBodyBytes, exchange);
        }
        catch (Exception e) when (HttpErrors.IsTheClients(ctx, e))
        {
            InferExchange.Return(exchange);
            return HttpErrors.WriteAsync(ctx, e);
        }
        catch
        {
            InferExchange.Return(exchange);
            throw;
        }
        return read.IsCompletedSuccessfully
            ? Step(ctx, s, served, version, read.Result, exchange)
            : WaitForBodyAsync(ctx, s, served, version, read, exchange);
    }

    /// <summary>The body is still arriving (large or slow): wait for it, then go on as usual.</summary>
    private static async Task WaitForBodyAsync(HttpContext ctx, ServerServices s, IServedModel served, string? version, ValueTask<BodyLease> read, InferExchange exchange)
    {
        BodyLease body;
        try
        {
            body = await read.ConfigureAwait(false);
        }
        catch (Exception e) when (HttpErrors.IsTheClients(ctx, e))
        {
            InferExchange.Return(exchange);
            await HttpErrors.WriteAsync(ctx, e).ConfigureAwait(false);
            return;
        }
        catch
        {
            InferExchange.Return(exchange);
            throw;
        }
        await Step(ctx, s, served, version, body, exchange).ConfigureAwait(false);
    }

    /// <summary>Decodes and queues the step; the body and exchange are released when it is answered, or here when it fails before it is queued.</summary>
    private static Task Step(HttpContext ctx, ServerServices s, IServedModel served, string? version, BodyLease body, InferExchange exchange)
    {
        ValueTask<InferenceResponse> step;
        InferenceRequest request;
        try
        {
            request = HttpInferCodec.Decode(served, version, body.Memory, HttpInferCodec.HeaderLength(ctx.Request), s.SharedMemory, exchange);
            step = Start(s, served, request, ctx.RequestAborted);
        }
        catch (Exception e) when (HttpErrors.IsTheClients(ctx, e))
        {
            // Never queued: nothing refers to the body or the exchange any more.
            body.Dispose();
            InferExchange.Return(exchange);
            return HttpErrors.WriteAsync(ctx, e);
        }
        catch
        {
            body.Dispose();
            InferExchange.Return(exchange);
            throw;
        }
        return RespondAsync(ctx, served, step, request, body, exchange);
    }

    /// <summary>The step, its failure (thrown at once or later) reported as the invoker reports it.</summary>
    private static ValueTask<InferenceResponse> Start(ServerServices s, IServedModel served, InferenceRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return s.Invoker.StepAsync(served, request, cancellationToken);
        }
        catch (Exception e)
        {
            return ValueTask.FromException<InferenceResponse>(InferenceInvoker.Failure(served, e, cancellationToken));
        }
    }

    /// <summary>The one frame that waits: on the step, then writes its response (or its error).</summary>
    private static async Task RespondAsync(HttpContext ctx, IServedModel served, ValueTask<InferenceResponse> step, InferenceRequest request, BodyLease body, InferExchange exchange)
    {
        Exception? failure = null;
        try
        {
            InferenceResponse? response = null;
            try
            {
                response = await step.ConfigureAwait(false);
            }
            catch (Exception e)
            {
                failure = InferenceInvoker.Failure(served, e, ctx.RequestAborted);
                if (!HttpErrors.IsTheClients(ctx, failure)) throw failure;
            }
            if (response is not null)
            {
                HttpInferCodec.Write(ctx.Response, response, request, exchange);
                response.Release(); // its bytes are in Kestrel's pipe now: the model may reuse it
            }
        }
        catch (Exception e) when (failure is null && HttpErrors.IsTheClients(ctx, e))
        {
            failure = e;
        }
        finally
        {
            // The step is over (answered, failed or never run): nothing refers to the body or the exchange any more.
            body.Dispose();
            InferExchange.Return(exchange);
        }
        if (failure is not null) await HttpErrors.WriteAsync(ctx, failure).ConfigureAwait(false);
    }
}
