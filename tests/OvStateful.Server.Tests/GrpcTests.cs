using Google.Protobuf;
using OvStateful.Core.Sequences;
using OvStateful.Server.Tests.Infrastructure;
using OvStateful.Server.Tests.TestDoubles;
using Ovs = OvStateful.Protocol.Ovs;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Tests;

/// <summary>inference.GRPCInferenceService unary methods over real h2c, framed by hand.</summary>
public sealed class GrpcTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private Task<GrpcResult<T>> Call<T>(string method, IMessage request, MessageParser<T> parser) where T : class, IMessage<T> =>
        _server.Grpc.UnaryAsync(method, request, parser);

    [Fact]
    public async Task Health_and_metadata()
    {
        Assert.True((await Call("ServerLive", new Proto.ServerLiveRequest(), Proto.ServerLiveResponse.Parser)).Single.Live);
        Assert.True((await Call("ServerReady", new Proto.ServerReadyRequest(), Proto.ServerReadyResponse.Parser)).Single.Ready);
        Assert.True((await Call("ModelReady", new Proto.ModelReadyRequest { Name = "accumulate" }, Proto.ModelReadyResponse.Parser)).Single.Ready);
        Assert.True((await Call("ModelReady", new Proto.ModelReadyRequest { Name = "accumulate", Version = "1" }, Proto.ModelReadyResponse.Parser)).Single.Ready);
        Assert.False((await Call("ModelReady", new Proto.ModelReadyRequest { Name = "nope" }, Proto.ModelReadyResponse.Parser)).Single.Ready);

        var server = (await Call("ServerMetadata", new Proto.ServerMetadataRequest(), Proto.ServerMetadataResponse.Parser)).Single;
        Assert.Equal("triton", server.Name);
        Assert.Contains("ovs_sequence_id", server.Extensions);
        Assert.Contains("statistics", server.Extensions);

        var model = (await Call("ModelMetadata", new Proto.ModelMetadataRequest { Name = "accumulate" }, Proto.ModelMetadataResponse.Parser)).Single;
        Assert.Equal("accumulate", model.Name);
        Assert.Equal("stateful", model.Platform);
        Assert.Equal([-1L, 4, -1, 5], model.Inputs[0].Shape);
        Assert.Equal("FP32", model.Outputs[0].Datatype);

        var missing = await Call("ModelMetadata", new Proto.ModelMetadataRequest { Name = "nope" }, Proto.ModelMetadataResponse.Parser);
        Assert.Equal(5, missing.Status);
        Assert.StartsWith("Request for unknown model: 'nope' is not found", missing.Message);
    }

    [Fact]
    public async Task Model_config_is_tritons_message()
    {
        var config = (await Call("ModelConfig", new Proto.ModelConfigRequest { Name = "accumulate" }, Proto.ModelConfigResponse.Parser)).Single.Config;
        Assert.Equal(16, config.MaxBatchSize);
        Assert.Equal([4L, -1, 5], config.Input[0].Dims);
        Assert.Equal(Proto.DataType.TypeFp32, config.Input[0].DataType);
        Assert.Equal("<<<Accumulate_In, Accumulate_Out>>>", config.Parameters["state_pairs"].StringValue);
        var sb = config.SequenceBatching;
        Assert.Equal(Proto.ModelConfig.SchedulingChoiceOneofCase.SequenceBatching, config.SchedulingChoiceCase);
        Assert.Equal(1280, sb.Oldest.MaxCandidateSequences);
        Assert.Equal("CORRID", sb.ControlInput[2].Name);
        Assert.Equal(Proto.ModelSequenceBatching.Types.Control.Types.Kind.ControlSequenceCorrid, sb.ControlInput[2].Control[0].Kind);
        Assert.Equal(Proto.DataType.TypeUint64, sb.ControlInput[2].Control[0].DataType);
        Assert.Equal([0, 1], sb.ControlInput[0].Control[0].Int32FalseTrue);

        var str = (await Call("ModelConfig", new Proto.ModelConfigRequest { Name = "accumulate_str" }, Proto.ModelConfigResponse.Parser)).Single.Config;
        Assert.Equal(Proto.DataType.TypeString, str.SequenceBatching.ControlInput[2].Control[0].DataType);
    }

    [Fact]
    public async Task Infer_with_raw_and_uint64_int64_string_sequence_ids()
    {
        var id = new SequenceId(31);
        var expected = await Accumulate.ReferenceAsync(new AccumulatorTestModel(), id, 2);
        var first = Accumulate.Grpc("accumulate", id, true, false, Accumulate.Input(31, 0), "req-1");
        var r1 = (await Call("ModelInfer", first, Proto.ModelInferResponse.Parser)).Single;
        Assert.Equal("req-1", r1.Id);
        Assert.Equal("1", r1.ModelVersion);
        Assert.Equal(expected[0], Accumulate.Output(r1));
        Assert.Equal(31UL, r1.Parameters["sequence_id"].Uint64Param);

        var second = Accumulate.Grpc("accumulate", id, false, true, Accumulate.Input(31, 1));
        second.Parameters["sequence_id"] = new Proto.InferParameter { Int64Param = 31 };
        Assert.Equal(expected[1], Accumulate.Output((await Call("ModelInfer", second, Proto.ModelInferResponse.Parser)).Single));

        var sid = new SequenceId("grpc-seq");
        var sexpected = await Accumulate.ReferenceAsync(new AccumulatorTestModel("accumulate_str", stringIds: true), sid, 1);
        var s1 = Accumulate.Grpc("accumulate_str", sid, true, true, Accumulate.Input(Accumulate.Key(sid), 0));
        Assert.Equal(sexpected[0], Accumulate.Output((await Call("ModelInfer", s1, Proto.ModelInferResponse.Parser)).Single));
    }

    [Fact]
    public async Task Infer_with_typed_contents_for_every_typed_field()
    {
        var r = new Proto.ModelInferRequest { ModelName = "echo" };
        void Add(string type, Action<Proto.InferTensorContents> fill)
        {
            var t = new Proto.ModelInferRequest.Types.InferInputTensor { Name = type, Datatype = type, Contents = new Proto.InferTensorContents() };
            t.Shape.Add([1, 3]);
            fill(t.Contents);
            r.Inputs.Add(t);
        }
        Add("BOOL", c => c.BoolContents.Add([true, false, true]));
        Add("INT8", c => c.IntContents.Add([-1, 0, 1]));
        Add("INT32", c => c.IntContents.Add([-7, 0, 7]));
        Add("INT64", c => c.Int64Contents.Add([long.MinValue, 0, long.MaxValue]));
        Add("UINT16", c => c.UintContents.Add([0, 1, 65535]));
        Add("UINT64", c => c.Uint64Contents.Add([0, 1, ulong.MaxValue]));
        Add("FP32", c => c.Fp32Contents.Add([0.5f, -1, 2]));
        Add("FP64", c => c.Fp64Contents.Add([0.25, -1e300, 2]));
        Add("BYTES", c => c.BytesContents.Add([ByteString.CopyFromUtf8("a"), ByteString.Empty, ByteString.CopyFromUtf8("xyz")]));

        var response = (await Call("ModelInfer", r, Proto.ModelInferResponse.Parser)).Single;
        Assert.Equal(r.Inputs.Count, response.Outputs.Count);
        Assert.Equal(r.Inputs.Count, response.RawOutputContents.Count);
        var raw = response.Outputs.Select((o, i) => (o.Name, Bytes: response.RawOutputContents[i].ToByteArray())).ToDictionary(x => x.Name, x => x.Bytes);
        Assert.Equal(new byte[] { 1, 0, 1 }, raw["OUT_BOOL"]);
        Assert.Equal(new byte[] { 0xFF, 0, 1 }, raw["OUT_INT8"]);
        Assert.Equal(new[] { -7, 0, 7 }, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(raw["OUT_INT32"]).ToArray());
        Assert.Equal(new long[] { long.MinValue, 0, long.MaxValue }, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(raw["OUT_INT64"]).ToArray());
        Assert.Equal(new ushort[] { 0, 1, 65535 }, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(raw["OUT_UINT16"]).ToArray());
        Assert.Equal(new ulong[] { 0, 1, ulong.MaxValue }, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(raw["OUT_UINT64"]).ToArray());
        Assert.Equal(new float[] { 0.5f, -1, 2 }, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw["OUT_FP32"]).ToArray());
        Assert.Equal(new double[] { 0.25, -1e300, 2 }, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(raw["OUT_FP64"]).ToArray());
        Assert.Equal(new byte[] { 1, 0, 0, 0, (byte)'a', 0, 0, 0, 0, 3, 0, 0, 0, (byte)'x', (byte)'y', (byte)'z' }, raw["OUT_BYTES"]);

        // A value that does not fit the datatype fails with the input named.
        var bad = new Proto.ModelInferRequest { ModelName = "echo" };
        var t8 = new Proto.ModelInferRequest.Types.InferInputTensor { Name = "INT8", Datatype = "INT8", Contents = new Proto.InferTensorContents() };
        t8.Shape.Add([1, 3]);
        t8.Contents.IntContents.Add([1, 2, 300]);
        bad.Inputs.Add(t8);
        var result = await Call("ModelInfer", bad, Proto.ModelInferResponse.Parser);
        Assert.Equal(3, result.Status);
        Assert.Contains("input 'INT8' value 2 (300) is out of range", result.Message);
    }

    [Fact]
    public async Task Statistics_index_load_unload()
    {
        await Call("ModelInfer", Accumulate.Grpc("accumulate", new SequenceId(1), true, true, Accumulate.Input(1, 0)), Proto.ModelInferResponse.Parser);
        var all = (await Call("ModelStatistics", new Proto.ModelStatisticsRequest(), Proto.ModelStatisticsResponse.Parser)).Single;
        Assert.Equal(3, all.ModelStats.Count);
        var one = (await Call("ModelStatistics", new Proto.ModelStatisticsRequest { Name = "accumulate", Version = "1" }, Proto.ModelStatisticsResponse.Parser)).Single.ModelStats.Single();
        Assert.True(one.InferenceCount >= 1);
        Assert.True(one.InferenceStats.Success.Count >= 1);
        Assert.Equal(20UL, one.BatchStats[0].ComputeInfer.Ns);
        Assert.Equal(5, (await Call("ModelStatistics", new Proto.ModelStatisticsRequest { Name = "nope" }, Proto.ModelStatisticsResponse.Parser)).Status);

        var index = (await Call("RepositoryIndex", new Proto.RepositoryIndexRequest(), Proto.RepositoryIndexResponse.Parser)).Single;
        Assert.Equal(["accumulate", "accumulate_str", "echo"], index.Models.Select(m => m.Name));

        (await Call("RepositoryModelUnload", new Proto.RepositoryModelUnloadRequest { ModelName = "echo" }, Proto.RepositoryModelUnloadResponse.Parser)).Single.ToString();
        Assert.False((await Call("ModelReady", new Proto.ModelReadyRequest { Name = "echo" }, Proto.ModelReadyResponse.Parser)).Single.Ready);
        Assert.True((await Call("ServerReady", new Proto.ServerReadyRequest(), Proto.ServerReadyResponse.Parser)).Single.Ready);
        var readyOnly = (await Call("RepositoryIndex", new Proto.RepositoryIndexRequest { Ready = true }, Proto.RepositoryIndexResponse.Parser)).Single;
        Assert.Equal(2, readyOnly.Models.Count);
        (await Call("RepositoryModelLoad", new Proto.RepositoryModelLoadRequest { ModelName = "echo" }, Proto.RepositoryModelLoadResponse.Parser)).Single.ToString();
        Assert.True((await Call("ModelReady", new Proto.ModelReadyRequest { Name = "echo" }, Proto.ModelReadyResponse.Parser)).Single.Ready);
        Assert.Equal(5, (await Call("RepositoryModelLoad", new Proto.RepositoryModelLoadRequest { ModelName = "nope" }, Proto.RepositoryModelLoadResponse.Parser)).Status);
    }

    [Fact]
    public async Task Sequence_ids_allocate_and_release_over_grpc_and_http()
    {
        var a = (await _server.Grpc.UnaryAsync("Allocate", new Ovs.AllocateSequenceIdRequest(), Ovs.AllocateSequenceIdResponse.Parser, "ovs.SequenceIdService")).Single;
        var b = (await _server.Grpc.UnaryAsync("Allocate", new Ovs.AllocateSequenceIdRequest { Type = "uint64" }, Ovs.AllocateSequenceIdResponse.Parser, "ovs.SequenceIdService")).Single;
        Assert.NotEqual(0UL, a.SequenceId.Uint64Id);
        Assert.NotEqual(a.SequenceId.Uint64Id, b.SequenceId.Uint64Id);
        var s = (await _server.Grpc.UnaryAsync("Allocate", new Ovs.AllocateSequenceIdRequest { Type = "string" }, Ovs.AllocateSequenceIdResponse.Parser, "ovs.SequenceIdService")).Single;
        Assert.False(string.IsNullOrEmpty(s.SequenceId.StringId));

        var release = await _server.Grpc.UnaryAsync("Release", new Ovs.ReleaseSequenceIdRequest { SequenceId = a.SequenceId }, Ovs.ReleaseSequenceIdResponse.Parser, "ovs.SequenceIdService");
        Assert.True(release.Single.Released);
        var again = await _server.Grpc.UnaryAsync("Release", new Ovs.ReleaseSequenceIdRequest { SequenceId = a.SequenceId }, Ovs.ReleaseSequenceIdResponse.Parser, "ovs.SequenceIdService");
        Assert.Equal(3, again.Status);
        Assert.Contains("is not allocated", again.Message);
        var badType = await _server.Grpc.UnaryAsync("Allocate", new Ovs.AllocateSequenceIdRequest { Type = "float" }, Ovs.AllocateSequenceIdResponse.Parser, "ovs.SequenceIdService");
        Assert.Equal(3, badType.Status);

        // The same allocator over REST: an id allocated over gRPC is released over HTTP.
        using var rel = await _server.Http.PostAsync("/v2/sequences/release", Accumulate.JsonContent($"{{\"sequence_id\": \"{s.SequenceId.StringId}\"}}"));
        Assert.Equal(System.Net.HttpStatusCode.OK, rel.StatusCode);
        using var alloc = await _server.Http.PostAsync("/v2/sequences/allocate", Accumulate.JsonContent("{\"type\": \"uint64\"}"));
        var id = System.Text.Json.JsonDocument.Parse(await alloc.Content.ReadAsStringAsync()).RootElement.GetProperty("sequence_id").GetUInt64();
        Assert.NotEqual(0UL, id);
        using var allocStr = await _server.Http.PostAsync("/v2/sequences/allocate", Accumulate.JsonContent("{\"type\": \"string\"}"));
        Assert.Equal(System.Text.Json.JsonValueKind.String, System.Text.Json.JsonDocument.Parse(await allocStr.Content.ReadAsStringAsync()).RootElement.GetProperty("sequence_id").ValueKind);
        using var rel2 = await _server.Http.PostAsync("/v2/sequences/release", Accumulate.JsonContent($"{{\"sequence_id\": {id}}}"));
        Assert.Equal(System.Net.HttpStatusCode.OK, rel2.StatusCode);
        using var rel3 = await _server.Http.PostAsync("/v2/sequences/release", Accumulate.JsonContent($"{{\"sequence_id\": {id}}}"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, rel3.StatusCode);
    }

    [Fact]
    public async Task Non_grpc_requests_on_the_grpc_port_are_refused()
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_server.Grpc.Channel.Target.StartsWith("http", StringComparison.Ordinal) ? _server.Grpc.Channel.Target : "http://" + _server.Grpc.Channel.Target) + "inference.GRPCInferenceService/ServerLive")
        {
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json"),
        };
        using var response = await http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.True((await _server.Grpc.UnaryAsync("ServerLive", new Proto.ServerLiveRequest(), Proto.ServerLiveResponse.Parser)).Single.Live);
    }

    [Fact]
    public async Task Gzip_requests_are_accepted_and_answered_gzip()
    {
        var id = new SequenceId(77);
        var expected = await Accumulate.ReferenceAsync(new AccumulatorTestModel(), id, 2);
        // grpc-internal-encoding-request makes Grpc.Net.Client compress the request with gzip.
        _server.Grpc.ResponseEncodings.Clear();
        var gzip = new global::Grpc.Core.CallOptions(new global::Grpc.Core.Metadata { { "grpc-internal-encoding-request", "gzip" } });
        using var unary = _server.Grpc.Inference.ModelInferAsync(Accumulate.Grpc("accumulate", id, true, false, Accumulate.Input(77, 0)), gzip);
        Assert.Equal(expected[0], Accumulate.Output(await unary.ResponseAsync));
        Assert.Equal(["gzip"], Drain());

        await using var stream = await _server.Grpc.StreamAsync("inference.GRPCInferenceService/ModelStreamInfer", Proto.ModelStreamInferResponse.Parser, gzip);
        stream.Send(Accumulate.Grpc("accumulate", id, false, true, Accumulate.Input(77, 1)));
        Assert.Equal(expected[1], Accumulate.Output((await stream.ReadAsync())!.InferResponse));
        Assert.Equal(["gzip"], Drain());

        // A client that does not compress gets plain responses.
        using var plain = _server.Grpc.Inference.ServerLiveAsync(new Proto.ServerLiveRequest());
        Assert.True((await plain.ResponseAsync).Live);
        Assert.Equal(["identity"], Drain());

        List<string> Drain()
        {
            var got = new List<string>();
            while (_server.Grpc.ResponseEncodings.TryDequeue(out var e)) got.Add(e);
            return got;
        }
    }

    [Fact]
    public async Task Health_follows_readiness_and_reflection_lists_the_services()
    {
        var accumulate = new AccumulatorTestModel();
        await using (var own = await TestServer.StartAsync(new TestModelRegistry(accumulate, new EchoTestModel())))
        {
            var health = new global::Grpc.Health.V1.Health.HealthClient(own.Grpc.Channel);
            async Task<global::Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus> Status() => (await health.CheckAsync(new global::Grpc.Health.V1.HealthCheckRequest())).Status;
            Assert.Equal(global::Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, await Status());
            // As Triton's strict readiness: a model unloaded on request does not make the server unready; one that is not ready does.
            await own.Grpc.Inference.RepositoryModelUnloadAsync(new Proto.RepositoryModelUnloadRequest { ModelName = "echo" });
            Assert.Equal(global::Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, await Status());
            accumulate.IsReady = false;
            Assert.Equal(global::Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.NotServing, await Status());
            accumulate.IsReady = true;
            Assert.Equal(global::Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, await Status());
        }

        var reflection = new global::Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(_server.Grpc.Channel);
        using var call = reflection.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new global::Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        var services = call.ResponseStream.Current.ListServicesResponse.Service.Select(x => x.Name).ToList();
        Assert.Contains("inference.GRPCInferenceService", services);
        Assert.Contains("ovs.SequenceIdService", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }
}
