using Google.Protobuf;
using OvStateful.Cli.Workloads;
using OvStateful.Core.Tensors;
using Pb = OvStateful.Server.Protocol.Inference;

namespace OvStateful.Cli.Remote.Grpc;

/// <summary>
/// KServe v2 gRPC (package inference, GRPCInferenceService) over HTTP/2 cleartext with prior
/// knowledge, framed by hand on <see cref="HttpClient"/> with the Server project's generated
/// messages. Tensors travel as raw_input_contents / raw_output_contents. Stream mode opens one
/// ModelStreamInfer call per sequence client, as Triton's sequence clients do, or lets the
/// sequence clients share a fixed number of streams (<see cref="SharedStream"/>); unary mode
/// sends a ModelInfer call per step.
/// </summary>
internal sealed class GrpcProtocol : IRemoteProtocol
{
    public const string Service = "/inference.GRPCInferenceService/";
    private readonly HttpClient _http;
    private readonly bool _stream;
    // Null: one stream per sequence client.
    private readonly SharedStream[]? _shared;
    private int _nextShared;

    /// <param name="sharedStreams">Streams the sequence clients share (stream mode); null for one stream per client.</param>
    public GrpcProtocol(Uri baseAddress, bool stream, int? sharedStreams = null)
    {
        _stream = stream;
        // Several connections, so hundreds of concurrent streams are not all queued on one.
        _http = new HttpClient(new SocketsHttpHandler { EnableMultipleHttp2Connections = true, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1) })
        {
            BaseAddress = baseAddress,
            DefaultRequestVersion = System.Net.HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = System.Threading.Timeout.InfiniteTimeSpan,
        };
        if (stream && sharedStreams is { } n) _shared = Enumerable.Range(0, n).Select(_ => new SharedStream(_http)).ToArray();
    }

    public string Name => !_stream ? "grpc (ModelInfer)" : _shared is null ? "grpc (ModelStreamInfer)" : $"grpc (ModelStreamInfer, {_shared.Length} shared streams)";

    public async Task<RemoteModel> MetadataAsync(string model, CancellationToken cancellationToken)
    {
        Pb.ModelMetadataResponse metadata;
        try
        {
            metadata = await GrpcUnaryCall.CallAsync(_http, Service + "ModelMetadata", new Pb.ModelMetadataRequest { Name = model },
                Pb.ModelMetadataResponse.Parser, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new UsageException($"cannot reach {_http.BaseAddress} over HTTP/2 (h2c): {e.Message}; is the server running (ovs serve) and is this its gRPC port?");
        }
        catch (GrpcCallException e) when (e.Status is GrpcStatus.NotFound or 3)
        {
            throw new UsageException($"the server at {_http.BaseAddress} does not serve model \"{model}\"; models there: {await ModelNamesAsync(cancellationToken).ConfigureAwait(false)}");
        }
        catch (GrpcCallException e)
        {
            throw new UsageException($"ModelMetadata for \"{model}\" at {_http.BaseAddress} failed: {e.Message}");
        }
        return new RemoteModel(metadata.Name, metadata.Versions.ToList(),
            metadata.Inputs.Select(t => RemoteModel.Spec(model, t.Name, t.Datatype, t.Shape)).ToList(),
            metadata.Outputs.Select(t => t.Datatype == "BYTES" ? new Core.Engines.TensorSpec(t.Name, DataType.String, [1]) : RemoteModel.Spec(model, t.Name, t.Datatype, t.Shape)).ToList());
    }

    private async Task<string> ModelNamesAsync(CancellationToken cancellationToken)
    {
        try
        {
            var index = await GrpcUnaryCall.CallAsync(_http, Service + "RepositoryIndex", new Pb.RepositoryIndexRequest(), Pb.RepositoryIndexResponse.Parser, cancellationToken).ConfigureAwait(false);
            var names = index.Models.Select(m => m.Name + (m.State is { Length: > 0 } s && s != "READY" ? $" ({s})" : "")).Distinct().ToList();
            return names.Count == 0 ? "none" : string.Join(", ", names);
        }
        catch (Exception e) when (e is GrpcCallException or HttpRequestException or IOException or InvalidProtocolBufferException)
        {
            return "(the repository index could not be read)";
        }
    }

    public async Task<IReadOnlyDictionary<int, ulong>?> BatchExecutionsAsync(string model, CancellationToken cancellationToken)
    {
        try
        {
            var stats = await GrpcUnaryCall.CallAsync(_http, Service + "ModelStatistics", new Pb.ModelStatisticsRequest { Name = model },
                Pb.ModelStatisticsResponse.Parser, cancellationToken).ConfigureAwait(false);
            var histogram = new Dictionary<int, ulong>();
            foreach (var b in stats.ModelStats.SelectMany(m => m.BatchStats))
                histogram[(int)b.BatchSize] = histogram.GetValueOrDefault((int)b.BatchSize) + (b.ComputeInfer?.Count ?? 0);
            return histogram;
        }
        catch (Exception e) when (e is GrpcCallException or HttpRequestException or IOException or InvalidProtocolBufferException)
        {
            return null; // statistics are extra: a server without them still gets benchmarked
        }
    }

    public IStepClient CreateClient(RemoteModel model) =>
        !_stream ? new UnaryClient(_http, model)
        : _shared is null ? new StreamClient(_http, model)
        : new SharedStreamClient(_shared[(uint)Interlocked.Increment(ref _nextShared) % _shared.Length], model);

    /// <summary>A step as ModelInferRequest: sequence parameters, raw input bytes.</summary>
    internal static Pb.ModelInferRequest Request(string model, StepCall step)
    {
        var request = new Pb.ModelInferRequest { ModelName = model };
        request.Parameters["sequence_id"] = step.Id.IsString ? new Pb.InferParameter { StringParam = step.Id.Text } : new Pb.InferParameter { Uint64Param = step.Id.Number };
        request.Parameters["sequence_start"] = new Pb.InferParameter { BoolParam = step.Start };
        request.Parameters["sequence_end"] = new Pb.InferParameter { BoolParam = step.End };
        foreach (var t in step.Inputs)
        {
            var input = new Pb.ModelInferRequest.Types.InferInputTensor { Name = t.Name, Datatype = t.DataType.WireName() };
            input.Shape.AddRange(t.Shape);
            request.Inputs.Add(input);
            // No copy: the request is framed (serialized) before the step's inputs can change.
            request.RawInputContents.Add(UnsafeByteOperations.UnsafeWrap(t.Data));
        }
        return request;
    }

    /// <summary>Outputs of a response: raw_output_contents in output order (or typed contents, which this server does not send for raw requests).</summary>
    internal static IReadOnlyList<Tensor> Outputs(Pb.ModelInferResponse response)
    {
        var list = new List<Tensor>(response.Outputs.Count);
        for (var i = 0; i < response.Outputs.Count; i++)
        {
            var o = response.Outputs[i];
            DataTypes.TryParseWire(o.Datatype, out var type);
            var data = i < response.RawOutputContents.Count ? response.RawOutputContents[i].ToByteArray() : [];
            list.Add(new Tensor(o.Name, type, o.Shape.ToArray(), data));
        }
        return list;
    }

    /// <summary>The stream itself failed (not the step): its status, or the transport broke.</summary>
    private static bool IsStreamFailure(Exception e) => e is GrpcCallException or HttpRequestException or IOException or InvalidOperationException;

    private static StepFailedException StreamFailure(Exception e) =>
        e is GrpcCallException g ? new StepFailedException(g.Kind, g.Message, g) : new StepFailedException("transport", e.Message, e);

    /// <summary>A stream response's outputs; a step's failure arrives as its error_message while the stream goes on.</summary>
    private static IReadOnlyList<Tensor> StreamOutputs(Pb.ModelStreamInferResponse response) =>
        string.IsNullOrEmpty(response.ErrorMessage)
            ? Outputs(response.InferResponse)
            : throw new StepFailedException("grpc stream error", response.ErrorMessage);

    public async ValueTask DisposeAsync()
    {
        foreach (var shared in _shared ?? []) await shared.DisposeAsync().ConfigureAwait(false);
        _http.Dispose();
    }

    private sealed class UnaryClient(HttpClient http, RemoteModel model) : IStepClient
    {
        public async ValueTask<IReadOnlyList<Tensor>> SendAsync(StepCall step, CancellationToken cancellationToken)
        {
            try
            {
                var response = await GrpcUnaryCall.CallAsync(http, Service + "ModelInfer", Request(model.Name, step), Pb.ModelInferResponse.Parser, cancellationToken).ConfigureAwait(false);
                return Outputs(response);
            }
            catch (GrpcCallException e)
            {
                throw new StepFailedException(e.Kind, e.Message, e);
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>
    /// One ModelStreamInfer call for this client's whole life (all its sequences). A step's error
    /// comes back as the response's error_message and the stream stays usable; when the stream
    /// itself fails, the next step opens a new one.
    /// </summary>
    private sealed class StreamClient(HttpClient http, RemoteModel model) : IStepClient
    {
        private GrpcDuplexCall<Pb.ModelStreamInferResponse>? _call;

        public async ValueTask<IReadOnlyList<Tensor>> SendAsync(StepCall step, CancellationToken cancellationToken)
        {
            _call ??= new GrpcDuplexCall<Pb.ModelStreamInferResponse>(http, Service + "ModelStreamInfer", Pb.ModelStreamInferResponse.Parser);
            Pb.ModelStreamInferResponse response;
            try
            {
                _call.Write(Request(model.Name, step));
                response = await _call.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsStreamFailure(e))
            {
                var broken = _call;
                _call = null;
                await broken.DisposeAsync().ConfigureAwait(false);
                throw StreamFailure(e);
            }
            return StreamOutputs(response);
        }

        public async ValueTask DisposeAsync()
        {
            if (_call is not null) await _call.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A sequence client on a stream it shares with others; errors as in <see cref="StreamClient"/>.</summary>
    private sealed class SharedStreamClient(SharedStream stream, RemoteModel model) : IStepClient
    {
        public async ValueTask<IReadOnlyList<Tensor>> SendAsync(StepCall step, CancellationToken cancellationToken)
        {
            Pb.ModelStreamInferResponse response;
            try
            {
                response = await stream.SendAsync(Request(model.Name, step), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsStreamFailure(e))
            {
                throw StreamFailure(e);
            }
            return StreamOutputs(response);
        }

        // The stream outlives its clients: the protocol closes it.
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
