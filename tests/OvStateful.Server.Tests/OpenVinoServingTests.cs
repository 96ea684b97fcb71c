using System.Net;
using System.Text.Json;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.OnnxRuntime;
using OvStateful.OpenVino;
using OvStateful.Server.Tests.Infrastructure;
using Pb = OvStateful.Server.Protocol.Inference;

namespace OvStateful.Server.Tests;

/// <summary>A fact that needs the OpenVINO engine (runtime + shim); skipped with the reason elsewhere, failing under OVS_REQUIRE_OPENVINO=1 (CI).</summary>
public sealed class OpenVinoServerFactAttribute : FactAttribute
{
    public OpenVinoServerFactAttribute()
    {
        var a = new OpenVinoEngineProvider().Availability;
        if (!a.IsAvailable && Environment.GetEnvironmentVariable("OVS_REQUIRE_OPENVINO") != "1") Skip = $"OpenVINO is not available here: {a.Reason}";
    }
}

/// <summary>
/// `ovs serve --engine openvino` on the Triton stateful backend's own accumulate models (unchanged
/// folders from ../shared/conformance), driven the way that backend's client drives them: many
/// sequences interleaved over gRPC ModelStreamInfer with sequence_id/start/end, and over HTTP.
/// Every answer is checked against the models' arithmetic (state += Σ rows; output = input + state).
/// </summary>
public sealed class OpenVinoServingTests(OpenVinoServingTests.Fixture fixture) : IClassFixture<OpenVinoServingTests.Fixture>
{
    public sealed class Fixture : IAsyncLifetime
    {
        public ModelRegistry Registry { get; private set; } = null!;
        internal TestServer Server { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            if (!new OpenVinoEngineProvider().Availability.IsAvailable) return;
            // As ovs serve --engine openvino wires it: configs without an engine parameter use OpenVINO.
            Registry = new ModelRegistry(TestPaths.Conformance, [new OnnxRuntimeEngineProvider(), new OpenVinoEngineProvider()], defaultEngine: "openvino");
            await Registry.LoadAllAsync();
            Server = await TestServer.StartAsync(Registry);
        }

        public async Task DisposeAsync()
        {
            if (Server is null) return;
            await Server.DisposeAsync();
            await Registry.DisposeAsync();
        }
    }

    /// <summary>The model's answer to steps 0..steps-1 of sequence n (Accumulate.Input); END steps empty when the model does not infer them.</summary>
    private static List<float[]> ClosedForm(ulong n, int steps, bool inferEnd)
    {
        var sum = new float[5];
        var list = new List<float[]>();
        for (var k = 0; k < steps; k++)
        {
            var input = Accumulate.Input(n, k);
            if (k == steps - 1 && !inferEnd)
            {
                list.Add([]);
                continue;
            }
            for (var row = 0; row < 4; row++)
                for (var j = 0; j < 5; j++) sum[j] += input[row * 5 + j];
            list.Add(Enumerable.Range(0, 20).Select(i => input[i] + sum[i % 5]).ToArray());
        }
        return list;
    }

    [OpenVinoServerFact]
    public void Both_models_are_ready_on_the_OpenVINO_engine()
    {
        var index = fixture.Registry.Index();
        Assert.Equal(["accumulate_fp32", "accumulate_int32"], index.Select(e => e.Name).Order());
        Assert.All(index, e => Assert.True(e.State == "READY", $"{e.Name}: {e.State} {e.Reason}"));
        foreach (var name in new[] { "accumulate_fp32", "accumulate_int32" })
        {
            Assert.True(fixture.Registry.TryGet(name, null, out var model));
            Assert.Equal("openvino", model!.EngineName);
        }
    }

    [OpenVinoServerFact]
    public async Task Interleaved_sequences_over_grpc_streams_get_the_models_arithmetic()
    {
        // 4 streams × 16 sequences × 6 steps, interleaved per stream, as the backend's client sends them.
        const int streams = 4, perStream = 16, steps = 6;
        var all = await Accumulate.StreamInterleavedAsync(fixture.Server.Grpc, "accumulate_fp32", 5000, streams, perStream, steps);
        Assert.Equal(streams * perStream * steps, all.Count);
        var expected = new Dictionary<string, float[]>();
        for (var s = 0; s < streams * perStream; s++)
        {
            var n = 5000 + (ulong)s;
            var outs = ClosedForm(n, steps, inferEnd: false); // accumulate_fp32: infer_end_requests 0
            for (var k = 0; k < steps; k++) expected[$"{n}/{k}"] = outs[k];
        }
        foreach (var r in all)
        {
            Assert.True(r.ErrorMessage.Length == 0, r.ErrorMessage);
            var output = r.InferResponse.RawOutputContents.Count == 0 ? [] : Accumulate.Output(r.InferResponse);
            Assert.Equal(expected[r.InferResponse.Id], output);
        }
    }

    [OpenVinoServerFact]
    public async Task Int32_sequences_over_http_get_the_models_arithmetic_end_steps_included()
    {
        const int sequences = 24, steps = 4;
        await Task.WhenAll(Enumerable.Range(0, sequences).Select(async s =>
        {
            var n = 6000 + (ulong)s;
            for (var k = 0; k < steps; k++)
            {
                var input = Accumulate.Input(n, k).Select(v => (int)v).ToArray();
                var body = Accumulate.Json(new SequenceId(n), k == 0, k == steps - 1, input.Select(v => (float)v).ToArray()).Replace("\"FP32\"", "\"INT32\"");
                using var response = await fixture.Server.Http.PostAsync("/v2/models/accumulate_int32/infer", Accumulate.JsonContent(body));
                var text = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.OK, text);
                var got = JsonDocument.Parse(text).RootElement.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetInt32()).ToArray();
                var sum = new int[5];
                for (var j = 0; j <= k; j++)
                {
                    var x = Accumulate.Input(n, j).Select(v => (int)v).ToArray();
                    for (var i = 0; i < 20; i++) sum[i % 5] += x[i];
                }
                Assert.Equal(Enumerable.Range(0, 20).Select(i => input[i] + sum[i % 5]), got);
            }
        }));
    }
}
