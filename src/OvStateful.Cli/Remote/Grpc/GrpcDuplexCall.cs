using System.Net;
using System.Threading.Channels;
using Google.Protobuf;

namespace OvStateful.Cli.Remote.Grpc;

/// <summary>
/// A bidirectional-streaming gRPC call over an HTTP/2 <see cref="HttpClient"/>: requests are
/// written through a channel into the request body as they are sent (the body stays open until
/// <see cref="DisposeAsync"/> half-closes it), responses are read one frame at a time.
/// Writes may come from several threads (sequences sharing the stream); one reader at a time.
/// The channel runs its body writer inline in the sender's <see cref="Write"/> when that writer
/// is idle, so a step does not pay a thread-pool hop before it reaches the connection.
/// </summary>
internal sealed class GrpcDuplexCall<TResponse> : IAsyncDisposable where TResponse : IMessage<TResponse>
{
    // Framed requests not yet written to the request body; completed (half-close) by DisposeAsync.
    // Frames are pooled buffers, returned once written.
    private readonly Channel<(byte[] Buffer, int Length)> _outgoing = Channel.CreateUnbounded<(byte[] Buffer, int Length)>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = true });
    private readonly MessageParser<TResponse> _parser;
    private readonly Task<HttpResponseMessage> _response;
    private readonly HttpRequestMessage _request;
    private readonly CancellationTokenSource _abort = new();
    // Null until the response headers have arrived and the body is opened; then the one reader's stream.
    private GrpcMessageReader? _responses;

    public GrpcDuplexCall(HttpClient http, string method, MessageParser<TResponse> parser)
    {
        _parser = parser;
        _request = GrpcFrames.Request(method, new ChannelContent(_outgoing.Reader));
        // For HTTP/2 the request body is written while the response is awaited, so this
        // completes once the server has sent its response headers.
        _response = http.SendAsync(_request, HttpCompletionOption.ResponseHeadersRead, _abort.Token);
    }

    public void Write(IMessage message)
    {
        var frame = GrpcFrames.FramePooled(message);
        if (!_outgoing.Writer.TryWrite(frame))
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(frame.Buffer);
            throw new InvalidOperationException("the stream is already closed for writing");
        }
    }

    /// <summary>Half-closes the request stream: the server sees the end of requests and ends the call once it has answered.</summary>
    public void CompleteWrites() => _outgoing.Writer.TryComplete();

    /// <summary>The next response; throws <see cref="GrpcCallException"/> when the call ended (with its status).</summary>
    public async Task<TResponse> ReadAsync(CancellationToken cancellationToken)
    {
        var responses = await ResponsesAsync(cancellationToken).ConfigureAwait(false);
        var body = await responses.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (body is { } message) return _parser.ParseFrom(message.Span);
        var response = await _response.ConfigureAwait(false);
        var status = GrpcFrames.Status(response);
        throw status is { } s && s.Status != GrpcStatus.Ok
            ? new GrpcCallException(s.Status, s.Message)
            : new GrpcCallException(GrpcStatus.Ok, "the server ended the stream before answering");
    }

    private async ValueTask<GrpcMessageReader> ResponsesAsync(CancellationToken cancellationToken)
    {
        if (_responses is not null) return _responses;
        var response = await _response.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
            throw new GrpcCallException(GrpcStatus.FromHttp((int)response.StatusCode), $"HTTP {(int)response.StatusCode} instead of a gRPC response");
        if (GrpcFrames.Status(response) is { } trailersOnly && trailersOnly.Status != GrpcStatus.Ok)
            throw new GrpcCallException(trailersOnly.Status, trailersOnly.Message);
        return _responses = new GrpcMessageReader(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Half-closes the request stream, lets the server finish, then releases the call.</summary>
    public async ValueTask DisposeAsync()
    {
        _outgoing.Writer.TryComplete();
        try
        {
            if (_responses is not null)
            {
                using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                while (await _responses.ReadAsync(drain.Token).ConfigureAwait(false) is not null) { }
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or HttpRequestException)
        {
            // The call is over either way.
        }
        await _abort.CancelAsync().ConfigureAwait(false);
        try
        {
            (await _response.ConfigureAwait(false)).Dispose();
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            // The call failed or was aborted; nothing to release.
        }
        _request.Dispose();
        _abort.Dispose();
    }

    /// <summary>The request body: frames taken from the channel until it completes.</summary>
    private sealed class ChannelContent(ChannelReader<(byte[] Buffer, int Length)> frames) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            // Everything queued goes out before one flush: a stream shared by many sequences
            // sends a burst of steps in one write.
            while (await frames.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (frames.TryRead(out var frame))
                {
                    await stream.WriteAsync(frame.Buffer.AsMemory(0, frame.Length), cancellationToken).ConfigureAwait(false);
                    System.Buffers.ArrayPool<byte>.Shared.Return(frame.Buffer);
                }
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
