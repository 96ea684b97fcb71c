using System.Net;
using System.Text.Json;
using Google.Protobuf;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using OvStateful.OnnxRuntime;
using OvStateful.Server.Tests.Infrastructure;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Tests;

/// <summary>
/// The example repository that <c>ovs serve</c> uses by default (models/): every model loads,
/// and Silero VAD (a real stateful model: state [2, batch, 128], server-filled input sr) streams
/// over gRPC with the same outputs as the same model in-process.
/// </summary>
public sealed class ExampleRepositoryTests(ExampleRepositoryTests.Fixture fixture) : IClassFixture<ExampleRepositoryTests.Fixture>
{
    public sealed class Fixture : IAsyncLifetime
    {
        public ModelRegistry Registry { get; private set; } = null!;
        public ModelRegistry ReferenceRegistry { get; private set; } = null!;
        internal TestServer Server { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            if (!new OnnxRuntimeEngineProvider().Availability.IsAvailable) return;
            var models = Path.Combine(TestPaths.RepoRoot, "models");
            Registry = new ModelRegistry(models, [new OnnxRuntimeEngineProvider()]);
            await Registry.LoadAllAsync();
            ReferenceRegistry = new ModelRegistry(models, [new OnnxRuntimeEngineProvider()]);
            await ReferenceRegistry.LoadAllAsync();
            Server = await TestServer.StartAsync(Registry);
        }

        public async Task DisposeAsync()
        {
            if (Server is null) return;
            await Server.DisposeAsync();
            await Registry.DisposeAsync();
            await ReferenceRegistry.DisposeAsync();
        }
    }

    [OrtFact]
    public async Task Every_example_model_is_ready_and_lists_only_client_inputs()
    {
        var index = JsonDocument.Parse(await (await fixture.Server.Http.PostAsync("/v2/repository/index", null)).Content.ReadAsStringAsync()).RootElement;
        var entries = index.EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!, e => e.GetProperty("state").GetString() + " " + (e.TryGetProperty("reason", out var r) ? r.GetString() : ""));
        Assert.Equal(["accumulate", "gru_counter", "silero_vad", "silero_vad_v6"], entries.Keys.Order());
        Assert.All(entries, e => Assert.StartsWith("READY", e.Value));

        var silero = JsonDocument.Parse(await fixture.Server.Http.GetStringAsync("/v2/models/silero_vad")).RootElement;
        Assert.Equal(["input"], silero.GetProperty("inputs").EnumerateArray().Select(i => i.GetProperty("name").GetString()));
        Assert.Equal([-1L, 512], silero.GetProperty("inputs")[0].GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
        Assert.Equal(HttpStatusCode.OK, (await fixture.Server.Http.GetAsync("/v2/health/ready")).StatusCode);
    }

    [OrtFact]
    public async Task Silero_streams_over_grpc_as_it_runs_in_process()
    {
        const int sequences = 8, steps = 5;
        Assert.True(fixture.ReferenceRegistry.TryGet("silero_vad", null, out var reference));
        static float[] Chunk(int s, int k) => Enumerable.Range(0, 512).Select(i => MathF.Sin((i + 512 * k) * (0.01f + 0.003f * s)) * 0.5f).ToArray();

        var expected = new Dictionary<string, float[]>();
        for (var s = 0; s < sequences; s++)
        {
            var id = new SequenceId(700 + (ulong)s);
            for (var k = 0; k < steps; k++)
            {
                var r = await reference!.InferAsync(new InferenceRequest
                {
                    ModelName = "silero_vad",
                    SequenceId = id,
                    SequenceStart = k == 0,
                    SequenceEnd = k == steps - 1,
                    Inputs = [Tensor.FromArray("input", DataType.Fp32, [1, 512], Chunk(s, k))],
                }, CancellationToken.None);
                expected[$"{700 + s}/{k}"] = r.Outputs[0].ToArray<float>();
            }
        }

        await using var stream = await fixture.Server.Grpc.StreamAsync("inference.GRPCInferenceService/ModelStreamInfer", Proto.ModelStreamInferResponse.Parser);
        for (var k = 0; k < steps; k++)
        {
            for (var s = 0; s < sequences; s++)
            {
                var request = new Proto.ModelInferRequest { ModelName = "silero_vad", Id = $"{700 + s}/{k}" };
                var t = new Proto.ModelInferRequest.Types.InferInputTensor { Name = "input", Datatype = "FP32" };
                t.Shape.Add([1, 512]);
                request.Inputs.Add(t);
                request.RawInputContents.Add(ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(Chunk(s, k).AsSpan())));
                request.Parameters["sequence_id"] = new Proto.InferParameter { Uint64Param = 700 + (ulong)s };
                request.Parameters["sequence_start"] = new Proto.InferParameter { BoolParam = k == 0 };
                request.Parameters["sequence_end"] = new Proto.InferParameter { BoolParam = k == steps - 1 };
                stream.Send(request);
            }
        }
        stream.CompleteRequests();
        var count = 0;
        while (await stream.ReadAsync() is { } response)
        {
            Assert.True(response.ErrorMessage.Length == 0, response.ErrorMessage);
            var got = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(response.InferResponse.RawOutputContents[0].Span).ToArray();
            Assert.Equal(expected[response.InferResponse.Id], got);
            count++;
        }
        Assert.Equal(sequences * steps, count);
        Assert.Equal(0, stream.Status().Status);
    }
}
