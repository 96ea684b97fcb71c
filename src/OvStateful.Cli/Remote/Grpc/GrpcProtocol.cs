using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using OvStateful.Cli.Workloads;
using OvStateful.Core.Tensors;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Cli.Remote.Grpc;

/// <summary>
/// KServe v2 gRPC (package inference, GRPCInferenceService) over HTTP/2 cleartext, through
/// Grpc.Net.Client and the Protocol project's generated client. Tensors travel as
/// raw_input_contents / raw_output_contents. Stream mode opens one ModelStreamInfer call per
/// sequence client, as Triton's sequence clients do, or lets the sequence clients share a
/// fixed number of streams (<see cref="SharedStream"/>); unary mode sends a ModelInfer call per step.
/// </summary>
internal sealed class GrpcProtocol : IRemoteProtocol, IServerStatistics
{
    private readonly GrpcChannel _channel;
    private readonly Proto.GRPCInferenceService.GRPCInferenceServiceClient _client;
    private readonly bool _stream;
    // Null: one stream per sequence client.
    private readonly SharedStream[]? _shared;
    private int _nextShared;

    /// <param name="sharedStreams">Streams the sequence clients share (stream mode); null for one stream per client.</param>
    public GrpcProtocol(Uri baseAddress, bool stream, int? sharedStreams = null)
    {
        _stream = stream;
        _channel = GrpcChannel.ForAddress(baseAddress, new GrpcChannelOptions
        {
            // Several connections, so hundreds of concurrent streams are not all queued on one.
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) },
            MaxReceiveMessageSize = null,
        });
        _client = new Proto.GRPCInferenceService.GRPCInferenceServiceClient(_channel);
        if (stream && sharedStreams is { } n) _shared = Enumerable.Range(0, n).Select(_ => new SharedStream(_client)).ToArray();
    }

    public string Name => !_stream ? "grpc (ModelInfer)" : _shared is null ? "grpc (ModelStreamInfer)" : $"grpc (ModelStreamInfer, {_shared.Length} shared streams)";

    public async Task<RemoteModel> MetadataAsync(string model, CancellationToken cancellationToken)
    {
        Proto.ModelMetadataResponse metadata;
        try
        {
            metadata = await _client.ModelMetadataAsync(new Proto.ModelMetadataRequest { Name = model }, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && e.Status.DebugException is HttpRequestException h)
        {
            throw new UsageException($"cannot reach {_channel.Target} over HTTP/2 (h2c): {h.Message}; is the server running (ovs serve) and is this its gRPC port?");
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.NotFound or StatusCode.InvalidArgument)
        {
            throw new UsageException($"the server at {_channel.Target} does not serve model \"{model}\"; models there: {await ModelNamesAsync(cancellationToken).ConfigureAwait(false)}");
        }
        catch (RpcException e)
        {
            throw new UsageException($"ModelMetadata for \"{model}\" at {_channel.Target} failed: {GrpcFailures.Step(e).Message}");
        }
        return new RemoteModel(metadata.Name, metadata.Versions.ToList(),
            metadata.Inputs.Select(t => RemoteModel.Spec(model, t.Name, t.Datatype, t.Shape)).ToList(),
            metadata.Outputs.Select(t => t.Datatype == "BYTES" ? new Core.Engines.TensorSpec(t.Name, DataType.String, [1]) : RemoteModel.Spec(model, t.Name, t.Datatype, t.Shape)).ToList());
    }

    private async Task<string> ModelNamesAsync(CancellationToken cancellationToken)
    {
        try
        {
            var index = await _client.RepositoryIndexAsync(new Proto.RepositoryIndexRequest(), cancellationToken: cancellationToken).ConfigureAwait(false);
            var names = index.Models.Select(m => m.Name + (m.State is { Length: > 0 } s && s != "READY" ? $" ({s})" : "")).Distinct().ToList();
            return names.Count == 0 ? "none" : string.Join(", ", names);
        }
        catch (RpcException)
        {
            return "(the repository index could not be read)";
        }
    }

    public async Task<ServerCounters?> CountersAsync(string model, CancellationToken cancellationToken)
    {
        try
        {
            return ServerStatistics.Counters(await _client.ModelStatisticsAsync(new Proto.ModelStatisticsRequest { Name = model }, cancellationToken: cancellationToken).ConfigureAwait(false));
        }
        catch (RpcException)
        {
            return null; // statistics are extra: a server without them still gets benchmarked
        }
    }

    public IStepClient CreateClient(RemoteModel model) =>
        !_stream ? new UnaryClient(_client, model)
        : _shared is null ? new StreamClient(_client, model)
        : new SharedStreamClient(_shared[(uint)Interlocked.Increment(ref _nextShared) % _shared.Length], model);

    /// <summary>
    /// One sequence client's ModelInferRequest, refilled for each step (sequence parameters, raw
    /// input bytes): a client has one step in flight, and its request is serialized before the
    /// answer to it can arrive, so the next step may reuse the message and its parameter entries.
    /// </summary>
    internal sealed class StepRequest
    {
        private readonly Proto.ModelInferRequest _message;
        private readonly Proto.InferParameter _id = new(), _start = new(), _end = new();

        public StepRequest(string model)
        {
            _message = new Proto.ModelInferRequest { ModelName = model };
            _message.Parameters["sequence_id"] = _id;
            _message.Parameters["sequence_start"] = _start;
            _message.Parameters["sequence_end"] = _end;
        }

        public Proto.ModelInferRequest For(StepCall step)
        {
            if (step.Id.IsString) _id.StringParam = step.Id.Text;
            else _id.Uint64Param = step.Id.Number;
            _start.BoolParam = step.Start;
            _end.BoolParam = step.End;
            var inputs = _message.Inputs;
            if (inputs.Count != step.Inputs.Count)
            {
                inputs.Clear();
                for (var i = 0; i < step.Inputs.Count; i++) inputs.Add(new Proto.ModelInferRequest.Types.InferInputTensor());
            }
            _message.RawInputContents.Clear();
            for (var i = 0; i < step.Inputs.Count; i++)
            {
                var t = step.Inputs[i];
                var input = inputs[i];
                input.Name = t.Name;
                input.Datatype = t.DataType.WireName();
                input.Shape.Clear();
                input.Shape.AddRange(t.Shape);
                // No copy: the request is serialized before the step's inputs can change.
                _message.RawInputContents.Add(UnsafeByteOperations.UnsafeWrap(t.Data));
            }
            return _message;
        }
    }

    /// <summary>Outputs of a response: raw_output_contents in output order (or typed contents, which this server does not send for raw requests).</summary>
    internal static IReadOnlyList<Tensor> Outputs(Proto.ModelInferResponse response)
    {
        var list = new List<Tensor>(response.Outputs.Count);
        for (var i = 0; i < response.Outputs.Count; i++)
        {
            var o = response.Outputs[i];
            DataTypes.TryParseWire(o.Datatype, out var type);
            // No copy: a parsed ByteString is immutable and owned by this response.
            var data = i < response.RawOutputContents.Count ? response.RawOutputContents[i].Memory : ReadOnlyMemory<byte>.Empty;
            list.Add(new Tensor(o.Name, type, o.Shape.ToArray(), data));
        }
        return list;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var shared in _shared ?? []) await shared.DisposeAsync().ConfigureAwait(false);
        _channel.Dispose();
    }

    private sealed class UnaryClient(Proto.GRPCInferenceService.GRPCInferenceServiceClient client, RemoteModel model) : IStepClient
    {
        private readonly StepRequest _request = new(model.Name);

        public async ValueTask<IReadOnlyList<Tensor>> SendAsync(StepCall step, CancellationToken cancellationToken)
        {
            try
            {
                return Outputs(await client.ModelInferAsync(_request.For(step), cancellationToken: cancellationToken).ConfigureAwait(false));
            }
            catch (RpcException e)
            {
                throw GrpcFailures.Step(e);
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>
    /// One ModelStreamInfer call for this client's whole life (all its sequences). A step's error
    /// comes back as the response's error_message and the stream stays usable; when the stream
    /// itself fails, the next step opens a new one.
    /// </summary>
    private sealed class StreamClient(Proto.GRPCInferenceService.GRPCInferenceServiceClient client, RemoteModel model) : IStepClient
    {
        private AsyncDuplexStreamingCall<Proto.ModelInferRequest, Proto.ModelStreamInferResponse>? _call;
        private readonly StepRequest _request = new(model.Name);

        public async ValueTask<IReadOnlyList<Tensor>> SendAsync(StepCall step, CancellationToken cancellationToken)
        {
            _call ??= client.ModelStreamInfer();
            try
            {
                await _call.RequestStream.WriteAsync(_request.For(step), cancellationToken).ConfigureAwait(false);
                if (!await _call.ResponseStream.MoveNext(cancellationToken).ConfigureAwait(false))
                    throw new InvalidOperationException("the server ended the stream without answering the step");
                return GrpcFailures.Outputs(_call.ResponseStream.Current);
            }
            catch (Exception e) when (GrpcFailures.IsStreamFailure(e))
            {
                _call.Dispose();
                _call = null;
                throw GrpcFailures.Stream(e);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_call is null) return;
            try
            {
                await _call.RequestStream.CompleteAsync().ConfigureAwait(false);
                while (await _call.ResponseStream.MoveNext().ConfigureAwait(false)) { }
            }
            catch (Exception e) when (GrpcFailures.IsStreamFailure(e))
            {
                // Closing a broken stream: nothing is left to tell.
            }
            _call.Dispose();
        }
    }

    /// <summary>A sequence client on a stream it shares with others; errors as in <see cref="StreamClient"/>.</summary>
    private sealed class SharedStreamClient(SharedStream stream, RemoteModel model) : IStepClient
    {
        private readonly StepRequest _request = new(model.Name);

        public async ValueTask<IReadOnlyList<Tensor>> SendAsync(StepCall step, CancellationToken cancellationToken)
        {
            Proto.ModelStreamInferResponse response;
            try
            {
                response = await stream.SendAsync(_request.For(step), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (GrpcFailures.IsStreamFailure(e))
            {
                throw GrpcFailures.Stream(e);
            }
            return GrpcFailures.Outputs(response);
        }

        // The stream outlives its clients: the protocol closes it.
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
