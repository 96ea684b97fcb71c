using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Threading.Channels;
using Google.Protobuf;

namespace OvStateful.Server.Tests.Infrastructure;

/// <summary>The outcome of a gRPC call: the messages received and the final status.</summary>
internal sealed record GrpcResult<T>(IReadOnlyList<T> Messages, int Status, string? Message)
{
    public T Single => Status == 0 && Messages.Count == 1 ? Messages[0] : throw new InvalidOperationException($"gRPC status {Status}: {Message} ({Messages.Count} messages)");
}

/// <summary>
/// A minimal gRPC client for the tests, written against the wire protocol: HTTP/2 with prior
/// knowledge (h2c), 5-byte-prefixed protobuf messages, grpc-status in trailers (or in the
/// headers of a trailers-only response).
/// </summary>
internal sealed class GrpcTestClient(Uri baseAddress) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { EnableMultipleHttp2Connections = true });

    public async Task<GrpcResult<T>> UnaryAsync<T>(string method, IMessage request, MessageParser<T> parser, string service = "inference.GRPCInferenceService")
        where T : IMessage<T> =>
        await CallRawAsync(service + "/" + method, Frame(request), parser);

    public async Task<GrpcResult<T>> CallRawAsync<T>(string path, byte[] body, MessageParser<T> parser, string contentType = "application/grpc", string? timeout = null)
        where T : IMessage<T>
    {
        using var message = NewRequest(path, new ByteArrayContent(body), contentType);
        if (timeout is not null) message.Headers.TryAddWithoutValidation("grpc-timeout", timeout);
        using var response = await _http.SendAsync(message);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var messages = new List<T>();
        var offset = 0;
        while (offset + 5 <= bytes.Length)
        {
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(offset + 1));
            messages.Add(parser.ParseFrom(bytes, offset + 5, length));
            offset += 5 + length;
        }
        var (status, text) = Status(response);
        return new GrpcResult<T>(messages, status, text);
    }

    /// <summary>Opens a bidirectional stream: send requests as the test produces them, read responses as they arrive.</summary>
    public async Task<GrpcTestStream<T>> StreamAsync<T>(string path, MessageParser<T> parser) where T : IMessage<T>
    {
        var content = new PushContent();
        var message = NewRequest(path, content, "application/grpc");
        var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead);
        return new GrpcTestStream<T>(content, message, response, await response.Content.ReadAsStreamAsync(), parser);
    }

    private HttpRequestMessage NewRequest(string path, HttpContent content, string contentType)
    {
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(baseAddress, "/" + path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = content,
        };
        request.Headers.TryAddWithoutValidation("te", "trailers");
        return request;
    }

    public static byte[] Frame(IMessage message)
    {
        var payload = message.ToByteArray();
        var frame = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    internal static (int Status, string? Message) Status(HttpResponseMessage response)
    {
        string? Get(string name) =>
            response.TrailingHeaders.TryGetValues(name, out var t) ? t.FirstOrDefault()
            : response.Headers.TryGetValues(name, out var h) ? h.FirstOrDefault() : null;
        var status = Get("grpc-status");
        var message = Get("grpc-message");
        return (status is null ? -1 : int.Parse(status, System.Globalization.CultureInfo.InvariantCulture),
                message is null ? null : Uri.UnescapeDataString(message));
    }

    public void Dispose() => _http.Dispose();

    /// <summary>Request content that writes each frame the moment the test hands it over.</summary>
    internal sealed class PushContent : HttpContent
    {
        private readonly Channel<byte[]> _frames = Channel.CreateUnbounded<byte[]>();

        public void Send(IMessage message) => _frames.Writer.TryWrite(Frame(message));
        public void SendRaw(byte[] bytes) => _frames.Writer.TryWrite(bytes);
        public void Complete() => _frames.Writer.TryComplete();

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            // SocketsHttpHandler may hold the HEADERS frame back to coalesce it with the first DATA;
            // a stream whose first message waits for the response headers would then never start.
            await stream.FlushAsync();
            await foreach (var frame in _frames.Reader.ReadAllAsync())
            {
                await stream.WriteAsync(frame);
                await stream.FlushAsync();
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}

/// <summary>A running bidirectional gRPC stream.</summary>
internal sealed class GrpcTestStream<T>(GrpcTestClient.PushContent content, HttpRequestMessage request, HttpResponseMessage response, Stream body, MessageParser<T> parser)
    : IAsyncDisposable where T : IMessage<T>
{
    public void Send(IMessage message) => content.Send(message);
    public void SendRaw(byte[] bytes) => content.SendRaw(bytes);
    public void CompleteRequests() => content.Complete();

    /// <summary>The next response, or default when the server ended the stream.</summary>
    public async Task<T?> ReadAsync()
    {
        var header = new byte[5];
        if (!await ReadExactlyOrEndAsync(header)) return default;
        var payload = new byte[BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1))];
        if (!await ReadExactlyOrEndAsync(payload)) throw new EndOfStreamException("stream ended inside a message");
        return parser.ParseFrom(payload);
    }

    /// <summary>Status after the stream ended (call after <see cref="ReadAsync"/> returned default).</summary>
    public (int Status, string? Message) Status() => GrpcTestClient.Status(response);

    private async Task<bool> ReadExactlyOrEndAsync(byte[] buffer)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await body.ReadAsync(buffer.AsMemory(read));
            if (n == 0)
            {
                if (read == 0) return false;
                throw new EndOfStreamException();
            }
            read += n;
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        content.Complete();
        await body.DisposeAsync();
        response.Dispose();
        request.Dispose();
    }
}
