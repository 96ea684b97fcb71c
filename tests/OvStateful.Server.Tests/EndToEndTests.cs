using System.Net;
using System.Text.Json;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.OnnxRuntime;
using OvStateful.Server.Sequences;
using OvStateful.Server.Tests.Infrastructure;
using OvStateful.Server.Tests.TestDoubles;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Tests;

/// <summary>A fact that needs the ONNX Runtime native library; skipped, with the reason, where it is missing.</summary>
public sealed class OrtFactAttribute : FactAttribute
{
    public OrtFactAttribute()
    {
        var availability = new OnnxRuntimeEngineProvider().Availability;
        if (!availability.IsAvailable) Skip = $"ONNX Runtime is not available here: {availability.Reason}";
    }
}

/// <summary>
/// End to end through the real pieces: Core's ModelRegistry over the conformance repository
/// (Triton's accumulate_fp32 and accumulate_int32 folders, unchanged) on the ONNX Runtime engine
/// behind the sequence batcher, served over HTTP and gRPC. Every output must equal what a
/// second, in-process registry's copy of the model answers for the same steps, and the model's arithmetic.
/// </summary>
public sealed class EndToEndTests(EndToEndTests.Fixture fixture) : IClassFixture<EndToEndTests.Fixture>
{
    /// <summary>
    /// The registries load once for the class (two instances × 1280 slots per model); the tests
    /// use distinct sequence ids. Loading is skipped where ONNX Runtime is missing (the tests skip too).
    /// </summary>
    public sealed class Fixture : IAsyncLifetime
    {
        public CorrelationIdManager Ids { get; } = new();
        public ModelRegistry Registry { get; private set; } = null!;
        public ModelRegistry ReferenceRegistry { get; private set; } = null!;
        public IServedModel Reference { get; private set; } = null!;
        internal TestServer Server { get; private set; } = null!;

        private static async Task<ModelRegistry> OpenConformance(BatcherOptions? options = null)
        {
            var registry = new ModelRegistry(TestPaths.Conformance, [new OnnxRuntimeEngineProvider()], options);
            await registry.LoadAllAsync();
            var notReady = registry.Index().Where(e => e.State != "READY").ToList();
            Assert.True(notReady.Count == 0, string.Join("; ", notReady.Select(e => $"{e.Name}: {e.State} {e.Reason}")));
            return registry;
        }

        public async Task InitializeAsync()
        {
            if (!new OnnxRuntimeEngineProvider().Availability.IsAvailable) return;
            // The served registry tells the correlation-id manager when sequences start and end, as ovs serve wires it.
            Registry = await OpenConformance(new BatcherOptions { Observer = Ids });
            ReferenceRegistry = await OpenConformance();
            Assert.True(ReferenceRegistry.TryGet("accumulate_fp32", null, out var reference));
            Reference = reference!;
            Server = await TestServer.StartAsync(Registry, allocator: new CorrelationIdManagerAllocator(Ids));
        }

        public async Task DisposeAsync()
        {
            if (Server is null) return;
            await Server.DisposeAsync();
            await Registry.DisposeAsync();
            await ReferenceRegistry.DisposeAsync();
        }
    }

    private CorrelationIdManager _ids => fixture.Ids;
    private IServedModel _reference => fixture.Reference;
    private TestServer _server => fixture.Server;

    /// <summary>In-process answers of the reference copy for steps 0..steps-1 of sequence n.</summary>
    private async Task<List<float[]>> Expected(ulong n, int steps)
    {
        var outputs = new List<float[]>();
        for (var k = 0; k < steps; k++)
        {
            var r = await _reference.InferAsync(Accumulate.InProcess("accumulate_fp32", new SequenceId(n), k, k == 0, k == steps - 1, Accumulate.Input(n, k)), CancellationToken.None);
            outputs.Add(r.Outputs.Count == 0 ? [] : r.Outputs[0].ToArray<float>());
        }
        return outputs;
    }

    [OrtFact]
    public async Task Arithmetic_is_the_conformance_models()
    {
        // state += sum of the 4 segment rows; output = input + state (rows broadcast).
        var id = new SequenceId(77);
        var sum = new float[5];
        for (var k = 0; k < 3; k++)
        {
            var input = Accumulate.Input(77, k);
            var r = (await _server.Grpc.UnaryAsync("ModelInfer", Accumulate.Grpc("accumulate_fp32", id, k == 0, false, input), Proto.ModelInferResponse.Parser)).Single;
            for (var row = 0; row < 4; row++)
                for (var j = 0; j < 5; j++) sum[j] += input[row * 5 + j];
            var expected = new float[20];
            for (var row = 0; row < 4; row++)
                for (var j = 0; j < 5; j++) expected[row * 5 + j] = input[row * 5 + j] + sum[j];
            Assert.Equal(Accumulate.Shape, r.Outputs[0].Shape);
            Assert.Equal(expected, Accumulate.Output(r));
        }
    }

    [OrtFact]
    public async Task Many_sequences_over_grpc_streams_equal_the_model_in_process()
    {
        const int streams = 4, perStream = 32, steps = 4;
        var expected = new Dictionary<string, float[]>();
        foreach (var s in Enumerable.Range(0, streams * perStream))
        {
            var outs = await Expected(2000 + (ulong)s, steps);
            for (var k = 0; k < steps; k++) expected[$"{2000 + s}/{k}"] = outs[k];
        }

        var all = await Accumulate.StreamInterleavedAsync(_server.Grpc, "accumulate_fp32", 2000, streams, perStream, steps);
        Assert.Equal(streams * perStream * steps, all.Count);
        foreach (var r in all)
        {
            Assert.True(r.ErrorMessage.Length == 0, r.ErrorMessage);
            var output = r.InferResponse.RawOutputContents.Count == 0 ? [] : Accumulate.Output(r.InferResponse);
            Assert.Equal(expected[r.InferResponse.Id], output);
        }
    }

    [OrtFact]
    public async Task Many_concurrent_sequences_over_http_equal_the_model_in_process()
    {
        const int sequences = 128, steps = 4;
        var expected = new Dictionary<ulong, List<float[]>>();
        for (var s = 0; s < sequences; s++) expected[3000 + (ulong)s] = await Expected(3000 + (ulong)s, steps);

        await Task.WhenAll(Enumerable.Range(0, sequences).Select(async s =>
        {
            var n = 3000 + (ulong)s;
            for (var k = 0; k < steps; k++)
            {
                using var response = await _server.Http.PostAsync("/v2/models/accumulate_fp32/infer",
                    Accumulate.JsonContent(Accumulate.Json(new SequenceId(n), k == 0, k == steps - 1, Accumulate.Input(n, k))));
                var text = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.OK, text);
                var outputs = JsonDocument.Parse(text).RootElement.GetProperty("outputs");
                var got = outputs.GetArrayLength() == 0 ? [] : outputs[0].GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();
                Assert.Equal(expected[n][k], got);
            }
        }));
    }

    [OrtFact]
    public async Task Batcher_errors_reach_clients_with_their_status()
    {
        using var noId = await _server.Http.PostAsync("/v2/models/accumulate_fp32/infer",
            Accumulate.JsonContent(Accumulate.Json(new SequenceId(0), true, false, Accumulate.Input(1, 0))));
        Assert.Equal(HttpStatusCode.BadRequest, noId.StatusCode);
        Assert.Contains("sequence_id", await noId.Content.ReadAsStringAsync());

        var unknown = await _server.Grpc.UnaryAsync("ModelInfer", Accumulate.Grpc("accumulate_fp32", new SequenceId(424242), false, false, Accumulate.Input(1, 0)), Proto.ModelInferResponse.Parser);
        Assert.Equal(3, unknown.Status);
        Assert.Contains("424242", unknown.Message);

        var stats = (await _server.Grpc.UnaryAsync("ModelStatistics", new Proto.ModelStatisticsRequest { Name = "accumulate_fp32" }, Proto.ModelStatisticsResponse.Parser)).Single.ModelStats.Single();
        Assert.Equal("accumulate_fp32", stats.Name);
        var metrics = await _server.Metrics.GetStringAsync("/metrics");
        Assert.Contains("ovs_slots_total{model=\"accumulate_fp32\",version=\"1\"}", metrics);
    }

    [OrtFact]
    public async Task An_allocated_id_serves_a_sequence_and_its_lease_ends_with_the_sequence()
    {
        using var alloc = await _server.Http.PostAsync("/v2/sequences/allocate", Accumulate.JsonContent("{\"type\": \"uint64\"}"));
        var n = JsonDocument.Parse(await alloc.Content.ReadAsStringAsync()).RootElement.GetProperty("sequence_id").GetUInt64();
        var id = new SequenceId(n);
        Assert.True(_ids.IsLeased(id));
        var expected = await Expected(n, 2);
        for (var k = 0; k < 2; k++)
        {
            var r = (await _server.Grpc.UnaryAsync("ModelInfer", Accumulate.Grpc("accumulate_fp32", id, k == 0, k == 1, Accumulate.Input(n, k)), Proto.ModelInferResponse.Parser)).Single;
            Assert.Equal(expected[k], r.RawOutputContents.Count == 0 ? [] : Accumulate.Output(r));
        }
        // END ended the lease (the batcher told the manager), so there is nothing left to release.
        Assert.False(_ids.IsLeased(id));
        using var release = await _server.Http.PostAsync("/v2/sequences/release", Accumulate.JsonContent($"{{\"sequence_id\": {n}}}"));
        Assert.Equal(HttpStatusCode.BadRequest, release.StatusCode);
    }

    [OrtFact]
    public async Task Repository_endpoints_drive_the_real_registry()
    {
        var index = (await _server.Grpc.UnaryAsync("RepositoryIndex", new Proto.RepositoryIndexRequest(), Proto.RepositoryIndexResponse.Parser)).Single;
        Assert.Equal(["accumulate_fp32", "accumulate_int32"], index.Models.Select(m => m.Name).Order());
        Assert.All(index.Models, m => Assert.Equal("READY", m.State));

        Assert.Equal(HttpStatusCode.OK, (await _server.Http.PostAsync("/v2/repository/models/accumulate_int32/unload", null)).StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, (await _server.Http.GetAsync("/v2/models/accumulate_int32/ready")).StatusCode);
        var unloaded = await _server.Grpc.UnaryAsync("ModelInfer", new Proto.ModelInferRequest { ModelName = "accumulate_int32" }, Proto.ModelInferResponse.Parser);
        Assert.NotEqual(0, unloaded.Status);

        Assert.Equal(HttpStatusCode.OK, (await _server.Http.PostAsync("/v2/repository/models/accumulate_int32/load", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _server.Http.GetAsync("/v2/models/accumulate_int32/ready")).StatusCode);

        // INT32 steps with typed contents: the same arithmetic in integers.
        var id = new SequenceId(55);
        var sum = new int[5];
        for (var k = 0; k < 2; k++)
        {
            var values = Enumerable.Range(0, 20).Select(i => i + k).ToArray();
            var r = new Proto.ModelInferRequest { ModelName = "accumulate_int32" };
            var t = new Proto.ModelInferRequest.Types.InferInputTensor { Name = "Input", Datatype = "INT32", Contents = new Proto.InferTensorContents() };
            t.Shape.Add(Accumulate.Shape);
            t.Contents.IntContents.Add(values);
            r.Inputs.Add(t);
            r.Parameters["sequence_id"] = new Proto.InferParameter { Uint64Param = 55 };
            r.Parameters["sequence_start"] = new Proto.InferParameter { BoolParam = k == 0 };
            var response = (await _server.Grpc.UnaryAsync("ModelInfer", r, Proto.ModelInferResponse.Parser)).Single;
            for (var row = 0; row < 4; row++)
                for (var j = 0; j < 5; j++) sum[j] += values[row * 5 + j];
            var got = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(response.RawOutputContents[0].Span).ToArray();
            Assert.Equal(Enumerable.Range(0, 20).Select(i => values[i] + sum[i % 5]), got);
        }
    }
}
