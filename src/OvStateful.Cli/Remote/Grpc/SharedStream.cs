using System.Collections.Concurrent;
using System.Globalization;
using System.Threading.Channels;
using Grpc.Core;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Cli.Remote.Grpc;

/// <summary>
/// One ModelStreamInfer stream that several sequence clients share, the way a gateway carries
/// many calls to the server on a few streams: each request gets a stream-unique id, one writer
/// sends the requests in the order they were queued (those queued together go out before one
/// flush), and one reader hands each response to the request whose id it carries. A
/// sequence's steps stay in order because its client sends the next step only after the
/// answer to the previous one. When the stream breaks, every waiting step fails with the cause
/// and the next step opens a new stream.
/// </summary>
internal sealed class SharedStream(Proto.GRPCInferenceService.GRPCInferenceServiceClient client) : IAsyncDisposable
{
    private static readonly WriteOptions Buffered = new(WriteFlags.BufferHint);
    private static readonly WriteOptions Flushed = new();

    private readonly ConcurrentDictionary<string, TaskCompletionSource<Proto.ModelStreamInferResponse>> _waiting = new(StringComparer.Ordinal);
    private readonly Lock _open = new();
    /// <summary>The open stream and its queue of requests to send; null until the first step, and after the stream broke.</summary>
    private Open? _stream;
    /// <summary>The open stream's reader: it ends when the stream does, and then releases the call.</summary>
    private Task _reader = Task.CompletedTask;
    private long _nextId;

    private sealed record Open(AsyncDuplexStreamingCall<Proto.ModelInferRequest, Proto.ModelStreamInferResponse> Call, Channel<Proto.ModelInferRequest> Requests);

    public async Task<Proto.ModelStreamInferResponse> SendAsync(Proto.ModelInferRequest request, CancellationToken cancellationToken)
    {
        var id = request.Id = Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);
        var answer = new TaskCompletionSource<Proto.ModelStreamInferResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[id] = answer;
        try
        {
            if (!Stream().Requests.Writer.TryWrite(request)) throw new InvalidOperationException("the shared stream is closing");
            return await answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _waiting.TryRemove(id, out _);
        }
    }

    private Open Stream()
    {
        lock (_open)
        {
            if (_stream is not null) return _stream;
            var open = _stream = new Open(client.ModelStreamInfer(), Channel.CreateUnbounded<Proto.ModelInferRequest>(new UnboundedChannelOptions { SingleReader = true }));
            _reader = RunAsync(open);
            return open;
        }
    }

    private async Task RunAsync(Open open)
    {
        var writer = WriteAsync(open);
        try
        {
            var responses = open.Call.ResponseStream;
            while (await responses.MoveNext().ConfigureAwait(false))
            {
                var response = responses.Current;
                var id = response.InferResponse?.Id ?? "";
                if (_waiting.TryGetValue(id, out var answer))
                {
                    answer.TrySetResult(response);
                    continue;
                }
                // An answer without a known id: a server that does not echo ids. Only a lone
                // waiting step can be matched safely.
                var waiting = _waiting.ToArray();
                if (waiting.Length == 1)
                {
                    waiting[0].Value.TrySetResult(response);
                    continue;
                }
                throw new InvalidOperationException(
                    $"the server answered with request id \"{id}\", which no waiting step on this shared stream sent; shared streams need servers that echo request ids (use one stream per sequence)");
            }
            await writer.ConfigureAwait(false);
            Fail(open, new InvalidOperationException("the server ended the shared stream"));
        }
        catch (Exception e)
        {
            Fail(open, e);
        }
        open.Call.Dispose();
    }

    /// <summary>Sends queued requests in order; a request with more queued behind it is buffered, the last of a run flushed.</summary>
    private static async Task WriteAsync(Open open)
    {
        var reader = open.Requests.Reader;
        var requests = open.Call.RequestStream;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var request))
            {
                requests.WriteOptions = reader.TryPeek(out _) ? Buffered : Flushed;
                await requests.WriteAsync(request).ConfigureAwait(false);
            }
        }
        await requests.CompleteAsync().ConfigureAwait(false);
    }

    private void Fail(Open open, Exception e)
    {
        lock (_open)
        {
            if (ReferenceEquals(_stream, open)) _stream = null;
        }
        open.Requests.Writer.TryComplete();
        foreach (var (_, answer) in _waiting) answer.TrySetException(e);
    }

    /// <summary>Half-closes the stream; the reader sees it end and releases the call.</summary>
    public async ValueTask DisposeAsync()
    {
        Task reader;
        lock (_open)
        {
            _stream?.Requests.Writer.TryComplete();
            reader = _reader;
        }
        await reader.ConfigureAwait(false);
    }
}
