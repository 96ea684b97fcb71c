using System.IO.Pipelines;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;

namespace OvStateful.Server.Grpc;

/// <summary>
/// One gRPC call on one HTTP/2 stream: reads request messages, writes response messages,
/// and ends the call with grpc-status/grpc-message (in trailers, or trailers-only when no
/// message was sent).
/// </summary>
internal sealed class GrpcCall : IDisposable
{
    private readonly long _maxMessageBytes;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    /// <summary>Cancelled when the client goes away or the call's grpc-timeout passes.</summary>
    private readonly CancellationTokenSource _cancel;

    public GrpcCall(HttpContext context, long maxMessageBytes)
    {
        Context = context;
        _maxMessageBytes = maxMessageBytes;
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        if (GrpcDeadline.TryParse(context.Request.Headers["grpc-timeout"], out var timeout))
        {
            Deadline = timeout;
            _cancel.CancelAfter(timeout);
        }
    }

    public HttpContext Context { get; }

    /// <summary>The client's grpc-timeout, when it sent one.</summary>
    public TimeSpan? Deadline { get; }

    /// <summary>For the call's work: cancelled when the client goes away or the deadline passes.</summary>
    public CancellationToken Aborted => _cancel.Token;

    /// <summary>True when the deadline, not the client, ended the call.</summary>
    public bool DeadlineExceeded => _cancel.IsCancellationRequested && !Context.RequestAborted.IsCancellationRequested;

    public void Dispose() => _cancel.Dispose();

    public ValueTask<T?> ReadAsync<T>(MessageParser<T> parser, CancellationToken cancellationToken) where T : class, IMessage<T> =>
        GrpcFraming.ReadMessageAsync(Context.Request.BodyReader, parser, _maxMessageBytes, cancellationToken);

    /// <summary>Reads the single request of a unary call.</summary>
    public async ValueTask<T> ReadUnaryAsync<T>(MessageParser<T> parser) where T : class, IMessage<T>
    {
        var message = await ReadAsync(parser, Aborted).ConfigureAwait(false)
            ?? throw new GrpcProtocolException(GrpcStatusCode.Internal, $"unary call ended without a {typeof(T).Name} message");
        if (await ReadAsync(parser, Aborted).ConfigureAwait(false) is not null)
            throw new GrpcProtocolException(GrpcStatusCode.Internal, $"unary call sent more than one {typeof(T).Name} message");
        return message;
    }

    /// <summary>Sends response headers (once) and one message. Safe to call from concurrent completions.</summary>
    public async Task WriteAsync(IMessage message)
    {
        await _writeLock.WaitAsync(Aborted).ConfigureAwait(false);
        try
        {
            if (!Context.Response.HasStarted) StartResponse();
            await GrpcFraming.WriteMessageAsync(Context.Response.BodyWriter, message, Aborted).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Sends the response headers now (streams: before the first message is ready).</summary>
    public async Task StartAsync()
    {
        await _writeLock.WaitAsync(Aborted).ConfigureAwait(false);
        try
        {
            if (Context.Response.HasStarted) return;
            StartResponse();
            await Context.Response.StartAsync(Aborted).ConfigureAwait(false);
            // StartAsync only fixes the headers; the flush puts the HEADERS frame on the wire.
            await Context.Response.BodyWriter.FlushAsync(Aborted).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task CompleteAsync(GrpcStatusCode status, string? message)
    {
        await _writeLock.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            var response = Context.Response;
            if (!response.HasStarted)
            {
                // Trailers-only: the status travels in the single HEADERS frame that ends the stream.
                StartResponse();
                response.Headers["grpc-status"] = ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (!string.IsNullOrEmpty(message)) response.Headers["grpc-message"] = GrpcErrors.EncodeMessage(message);
                return;
            }
            response.AppendTrailer("grpc-status", ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (!string.IsNullOrEmpty(message)) response.AppendTrailer("grpc-message", GrpcErrors.EncodeMessage(message));
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void StartResponse()
    {
        Context.Response.StatusCode = StatusCodes.Status200OK;
        Context.Response.ContentType = "application/grpc";
    }
}
