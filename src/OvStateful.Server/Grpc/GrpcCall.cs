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
    /// <summary>Messages waiting for the drain under way; guarded by itself.</summary>
    private readonly Queue<IMessage> _queue = new();
    /// <summary>The drain under way (null when none): completes after the flush of everything queued while it ran.</summary>
    private TaskCompletionSource? _round;
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

    /// <summary>
    /// Sends one message (and the response headers, once). Safe to call from concurrent
    /// completions: messages queue, and whoever finds no write under way drains the queue,
    /// writing every queued message before one flush. A batch's many responses on one stream
    /// thus go out in one HTTP/2 write instead of one flush each. The task completes when the
    /// flush that carried the message has finished.
    /// </summary>
    public Task WriteAsync(IMessage message)
    {
        TaskCompletionSource round;
        lock (_queue)
        {
            _queue.Enqueue(message);
            if (_round is not null) return _round.Task;
            // Continuations run inline when the round completes (outside every lock): what waits
            // on a write is the short tail of a step's handler, not worth a thread-pool hop per step.
            round = _round = new TaskCompletionSource();
        }
        _ = DrainAsync(round);
        return round.Task;
    }

    private async Task DrainAsync(TaskCompletionSource round)
    {
        try
        {
            await _writeLock.WaitAsync(Aborted).ConfigureAwait(false);
            try
            {
                if (!Context.Response.HasStarted) StartResponse();
                while (true)
                {
                    lock (_queue)
                    {
                        if (_queue.Count == 0)
                        {
                            _round = null;
                            break;
                        }
                        while (_queue.TryDequeue(out var next)) GrpcFraming.WriteMessage(Context.Response.BodyWriter, next);
                    }
                    await Context.Response.BodyWriter.FlushAsync(Aborted).ConfigureAwait(false);
                }
            }
            finally
            {
                _writeLock.Release();
            }
            round.TrySetResult();
        }
        catch (Exception e)
        {
            // The stream is broken (client gone, deadline): every waiting writer learns it, and
            // what was still queued is dropped with the stream.
            lock (_queue)
            {
                _queue.Clear();
                _round = null;
            }
            round.TrySetException(e);
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
