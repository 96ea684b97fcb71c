using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.OnnxRuntime;
using OvStateful.OpenVino;
using OvStateful.Server.Tests.Infrastructure;
using Proto = OvStateful.Protocol.Inference;

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
    public async Task The_stateful_backends_stream_client_passes_on_both_models()
    {
        // As its simple_grpc_sequence_stateful_stream_infer_client does: read the config, stream S sequences
        // × N segments (input i + seg·100 + seq·1000) interleaved, START on the first segment; END on the last
        // when the model infers END requests, else one extra END-only request per sequence whose answer is ignored.
        foreach (var model in new[] { "accumulate_fp32", "accumulate_int32" })
        {
            var config = (await fixture.Server.Grpc.UnaryAsync("ModelConfig", new Proto.ModelConfigRequest { Name = model }, Proto.ModelConfigResponse.Parser)).Single.Config;
            var inferEnd = config.Parameters["infer_end_requests"].StringValue != "0";
            var type = config.Input[0].DataType == Proto.DataType.TypeInt32 ? "INT32" : "FP32";
            const int sequences = 8, segments = 5;
            const ulong offset = 7001;
            await using var stream = await fixture.Server.Grpc.StreamAsync("inference.GRPCInferenceService/ModelStreamInfer", Proto.ModelStreamInferResponse.Parser);
            float[] Input(int seq, int seg) => Enumerable.Range(0, 20).Select(i => (float)(i + seg * 100 + seq * 1000)).ToArray();
            for (var seg = 0; seg < segments; seg++)
                for (var seq = 0; seq < sequences; seq++)
                    stream.Send(Request(model, type, offset + (ulong)seq, seg == 0, inferEnd && seg == segments - 1, Input(seq, seg), $"{offset + (ulong)seq}_{seg}"));
            if (!inferEnd)
                for (var seq = 0; seq < sequences; seq++) stream.Send(Request(model, type, offset + (ulong)seq, false, true, Input(seq, 0), $"{offset + (ulong)seq}_{segments}"));
            stream.CompleteRequests();
            var results = new List<Proto.ModelStreamInferResponse>();
            while (await stream.ReadAsync() is { } r) results.Add(r);
            Assert.Equal(0, stream.Status().Status);
            Assert.Equal(sequences * segments + (inferEnd ? 0 : sequences), results.Count);
            foreach (var r in results)
            {
                Assert.True(r.ErrorMessage.Length == 0, $"{model}: {r.ErrorMessage}");
                var id = r.InferResponse.Id.Split('_');
                var (seq, seg) = ((int)(ulong.Parse(id[0]) - offset), int.Parse(id[1]));
                if (seg == segments) continue; // the END-only signal's answer
                var states = new float[5];
                for (var k = 0; k <= seg; k++)
                    for (var i = 0; i < 20; i++) states[i % 5] += Input(seq, k)[i];
                var expected = Input(seq, seg).Select((v, i) => v + states[i % 5]).ToArray();
                var got = type == "INT32"
                    ? MemoryMarshal.Cast<byte, int>(r.InferResponse.RawOutputContents[0].Span).ToArray().Select(v => (float)v).ToArray()
                    : Accumulate.Output(r.InferResponse);
                Assert.True(expected.SequenceEqual(got), $"{model}: sequence {seq + (int)offset} segment {seg}: expected {string.Join(",", expected)}, got {string.Join(",", got)}");
            }
        }
    }

    private static Proto.ModelInferRequest Request(string model, string type, ulong id, bool start, bool end, float[] input, string requestId)
    {
        var r = Accumulate.Grpc(model, new SequenceId(id), start, end, input, requestId);
        if (type == "INT32")
        {
            r.Inputs[0].Datatype = "INT32";
            r.RawInputContents[0] = Google.Protobuf.ByteString.CopyFrom(MemoryMarshal.AsBytes(input.Select(v => (int)v).ToArray().AsSpan()));
        }
        return r;
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
