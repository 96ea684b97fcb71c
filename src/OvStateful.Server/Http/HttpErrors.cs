using System.Text.Json;
using Microsoft.AspNetCore.Http;
using OvStateful.Core.Serving;
using OvStateful.Server.Protocol;

namespace OvStateful.Server.Http;

/// <summary>The one place where errors become HTTP statuses and {"error": "..."} bodies.</summary>
internal static class HttpErrors
{
    public static int StatusFor(InferenceErrorKind kind) => kind switch
    {
        InferenceErrorKind.InvalidArgument => StatusCodes.Status400BadRequest,
        InferenceErrorKind.NotFound => StatusCodes.Status404NotFound,
        InferenceErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        InferenceErrorKind.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        InferenceErrorKind.Cancelled => StatusCodes.Status499ClientClosedRequest,
        InferenceErrorKind.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        InferenceErrorKind.AlreadyExists => StatusCodes.Status400BadRequest,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>Whether a handler's exception is answered: everything but the cancellation of a request its client has left.</summary>
    public static bool IsTheClients(HttpContext context, Exception error) =>
        error is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested;

    public static Task WriteAsync(HttpContext context, Exception error)
    {
        int status;
        string message;
        if (error is BadHttpRequestException bad)
        {
            // Kestrel's own rejections (body over MaxRequestBodySize: 413, malformed framing: 400).
            status = bad.StatusCode;
            message = bad.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? ServerErrors.BodyTooLarge(context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize ?? 0).Message
                : bad.Message;
        }
        else if (error is PayloadTooLargeException tooLarge)
        {
            status = StatusCodes.Status413PayloadTooLarge;
            message = tooLarge.Message;
        }
        else
        {
            var e = InferenceInvoker.AsInferenceException(error);
            status = StatusFor(e.Kind);
            message = e.Message;
        }
        return WriteAsync(context, status, message);
    }

    /// <summary>Messages quote names ('Input'); keep them readable instead of \u0027-escaped. The body is JSON, never HTML.</summary>
    private static readonly JsonWriterOptions RelaxedJson = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static async Task WriteAsync(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted) return;
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, RelaxedJson))
        {
            w.WriteStartObject();
            w.WriteString("error", message);
            w.WriteEndObject();
        }
        await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }
}
