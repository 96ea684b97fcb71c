using System.Threading.Channels;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Tests.Infrastructure;

/// <summary>The outcome of a gRPC call: the messages received and the final status.</summary>
internal sealed record GrpcResult<T>(IReadOnlyList<T> Messages, int Status, string? Message)
{
    public T Single => Status == 0 && Messages.Count == 1 ? Messages[0] : throw new InvalidOperationException($"gRPC status {Status}: {Message} ({Messages.Count} messages)");
}

/// <summary>
/// The tests' gRPC client: Grpc.Net.Client with the generated clients, plus calls by method
/// name whose outcome (messages and status) the tests assert, and calls carrying payload bytes
/// the test chose (malformed messages), which the generated clients cannot send.
/// </summary>
internal sealed class GrpcTestClient : IDisposable
{
    private readonly CallInvoker _invoker;

    public GrpcTestClient(Uri baseAddress)
    {
        Channel = GrpcChannel.ForAddress(baseAddress, new GrpcChannelOptions
        {
            HttpHandler = new EncodingRecorder(new SocketsHttpHandler { EnableMultipleHttp2Connections = true }, ResponseEncodings),
            MaxReceiveMessageSize = null,
        });
        _invoker = Channel.CreateCallInvoker();
        Inference = new Proto.GRPCInferenceService.GRPCInferenceServiceClient(Channel);
    }

    public GrpcChannel Channel { get; }

    /// <summary>The grpc-encoding of each response, in order (Grpc.Net.Client keeps it out of the call's headers).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> ResponseEncodings { get; } = new();
    public Proto.GRPCInferenceService.GRPCInferenceServiceClient Inference { get; }

    public Task<GrpcResult<T>> UnaryAsync<T>(string method, IMessage request, MessageParser<T> parser, string service = "inference.GRPCInferenceService", CallOptions options = default)
        where T : class, IMessage<T> =>
        CallRawAsync(service + "/" + method, request.ToByteArray(), parser, options);

    /// <summary>A unary call whose request payload is <paramref name="payload"/> as given.</summary>
    public async Task<GrpcResult<T>> CallRawAsync<T>(string path, byte[] payload, MessageParser<T> parser, CallOptions options = default) where T : class, IMessage<T>
    {
        try
        {
            var response = await _invoker.AsyncUnaryCall(Method(MethodType.Unary, path, parser), null, options, payload);
            return new GrpcResult<T>([response], 0, null);
        }
        catch (RpcException e)
        {
            return new GrpcResult<T>([], (int)e.StatusCode, e.Status.Detail);
        }
    }

    /// <summary>Opens a bidirectional stream: send requests as the test produces them, read responses as they arrive.</summary>
    public Task<GrpcTestStream<T>> StreamAsync<T>(string path, MessageParser<T> parser, CallOptions options = default) where T : class, IMessage<T> =>
        Task.FromResult(new GrpcTestStream<T>(_invoker.AsyncDuplexStreamingCall(Method(MethodType.DuplexStreaming, path, parser), null, options)));

    private static Method<byte[], T> Method<T>(MethodType type, string path, MessageParser<T> parser) where T : class, IMessage<T>
    {
        var slash = path.LastIndexOf('/');
        return new Method<byte[], T>(type, path[..slash], path[(slash + 1)..],
            Marshallers.Create(b => b, b => b), Marshallers.Create(m => m.ToByteArray(), parser.ParseFrom));
    }

    public void Dispose() => Channel.Dispose();
}

/// <summary>Records every response's grpc-encoding header ("identity" when absent).</summary>
internal sealed class EncodingRecorder(HttpMessageHandler inner, System.Collections.Concurrent.ConcurrentQueue<string> encodings) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        encodings.Enqueue(response.Headers.TryGetValues("grpc-encoding", out var v) ? string.Join(",", v) : "identity");
        return response;
    }
}

/// <summary>A running bidirectional gRPC stream; requests go out in the order sent, one writer at a time.</summary>
internal sealed class GrpcTestStream<T> : IAsyncDisposable where T : class, IMessage<T>
{
    private static readonly WriteOptions Buffered = new(WriteFlags.BufferHint);
    private readonly AsyncDuplexStreamingCall<byte[], T> _call;
    private readonly Channel<byte[]> _requests = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    private Status? _status;

    public GrpcTestStream(AsyncDuplexStreamingCall<byte[], T> call)
    {
        _call = call;
        _writer = WriteAsync();
    }

    public void Send(IMessage message) => SendRaw(message.ToByteArray());
    /// <summary>Sends <paramref name="payload"/> as one message's bytes (malformed ones included).</summary>
    public void SendRaw(byte[] payload) => _requests.Writer.TryWrite(payload);
    public void CompleteRequests() => _requests.Writer.TryComplete();

    private async Task WriteAsync()
    {
        try
        {
            // Requests queued together go out before one flush, as a pipelining client sends them.
            var reader = _requests.Reader;
            while (await reader.WaitToReadAsync())
            {
                while (reader.TryRead(out var payload))
                {
                    _call.RequestStream.WriteOptions = reader.TryPeek(out _) ? Buffered : null;
                    await _call.RequestStream.WriteAsync(payload);
                }
            }
            await _call.RequestStream.CompleteAsync();
        }
        catch (Exception) when (_call.GetStatus().StatusCode != StatusCode.OK)
        {
            // The call ended; its status tells the test why.
        }
        catch (InvalidOperationException)
        {
            // The server ended the call first (writes after the end are refused).
        }
    }

    /// <summary>The next response, or default when the stream ended (then <see cref="Status"/> has its status).</summary>
    public async Task<T?> ReadAsync()
    {
        try
        {
            if (await _call.ResponseStream.MoveNext(CancellationToken.None)) return _call.ResponseStream.Current;
            _status = _call.GetStatus();
        }
        catch (RpcException e)
        {
            _status = e.Status;
        }
        return default;
    }

    /// <summary>Status after the stream ended (call after <see cref="ReadAsync"/> returned default).</summary>
    public (int Status, string? Message) Status() => _status is { } s ? ((int)s.StatusCode, s.Detail) : (-1, null);

    public async ValueTask DisposeAsync()
    {
        _requests.Writer.TryComplete();
        _call.Dispose();
        try { await _writer; } catch (Exception) { /* disposed mid-write */ }
    }
}
