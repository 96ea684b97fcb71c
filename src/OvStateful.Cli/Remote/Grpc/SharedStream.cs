using System.Collections.Concurrent;
using System.Globalization;
using Pb = OvStateful.Server.Protocol.Inference;

namespace OvStateful.Cli.Remote.Grpc;

/// <summary>
/// One ModelStreamInfer stream that several sequence clients share, the way a gateway carries
/// many calls to the server on a few streams: each request gets a stream-unique id, and one
/// reader hands each response to the request whose id it carries. A sequence's steps stay in
/// order because its client sends the next step only after the answer to the previous one.
/// When the stream breaks, every waiting step fails with the cause and the next step opens a
/// new stream.
/// </summary>
internal sealed class SharedStream(HttpClient http) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<Pb.ModelStreamInferResponse>> _waiting = new(StringComparer.Ordinal);
    private readonly Lock _open = new();
    private GrpcDuplexCall<Pb.ModelStreamInferResponse>? _call;
    // The open stream's reader: it ends when the stream does, and then releases the call.
    private Task _reader = Task.CompletedTask;
    private long _nextId;

    public async Task<Pb.ModelStreamInferResponse> SendAsync(Pb.ModelInferRequest request, CancellationToken cancellationToken)
    {
        var id = request.Id = Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);
        var answer = new TaskCompletionSource<Pb.ModelStreamInferResponse>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[id] = answer;
        try
        {
            Call().Write(request);
            return await answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _waiting.TryRemove(id, out _);
        }
    }

    private GrpcDuplexCall<Pb.ModelStreamInferResponse> Call()
    {
        lock (_open)
        {
            if (_call is not null) return _call;
            var call = _call = new GrpcDuplexCall<Pb.ModelStreamInferResponse>(http, GrpcProtocol.Service + "ModelStreamInfer", Pb.ModelStreamInferResponse.Parser);
            _reader = ReadAsync(call);
            return call;
        }
    }

    private async Task ReadAsync(GrpcDuplexCall<Pb.ModelStreamInferResponse> call)
    {
        try
        {
            while (true)
            {
                var response = await call.ReadAsync(CancellationToken.None).ConfigureAwait(false);
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
                throw new GrpcCallException(GrpcStatus.Ok,
                    $"the server answered with request id \"{id}\", which no waiting step on this shared stream sent; shared streams need servers that echo request ids (use one stream per sequence)");
            }
        }
        catch (Exception e)
        {
            lock (_open)
            {
                if (ReferenceEquals(_call, call)) _call = null;
            }
            foreach (var (_, answer) in _waiting) answer.TrySetException(e);
            await call.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Half-closes the stream; the reader sees it end and releases the call.</summary>
    public async ValueTask DisposeAsync()
    {
        Task reader;
        lock (_open)
        {
            _call?.CompleteWrites();
            reader = _reader;
        }
        await reader.ConfigureAwait(false);
    }
}
