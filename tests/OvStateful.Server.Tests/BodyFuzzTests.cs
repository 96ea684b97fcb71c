using System.Net;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using OvStateful.Core.Sequences;
using OvStateful.Server.Tests.Infrastructure;
using OvStateful.Server.Tests.TestDoubles;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Tests;

/// <summary>
/// Body fuzz (fixed seed; OVS_STRESS=1 for ten times as many): mutated HTTP JSON and gRPC
/// protobuf infer bodies are each answered alone, with a client error or a success, never a
/// server error (HTTP 5xx, gRPC UNKNOWN or INTERNAL), and a sequence stepped between them keeps
/// exactly the state its own steps give: no bad request changes another sequence.
/// </summary>
public sealed class BodyFuzzTests
{
    private static int Scale => Environment.GetEnvironmentVariable("OVS_STRESS") is { Length: > 0 } ? 10 : 1;

    private static readonly string[] JsonTokens =
    [
        "\"\\ud800\"", "\"\\udc00\"", "1e39", "-1e39", "1e400", "-1", "0", "null", "[]", "{}", "\"x\"", "true", ",", "]", "}", "[", "{", ":",
        "99999999999999999999", "-9223372036854775809", "\"sequence_id\":", "\"datatype\":\"INT8\"", "\"shape\":[-1]", "\"shape\":[1,4,1,5]",
        "\"binary_data_size\":7", "\"outputs\":[3]", "\"parameters\":1", "NaN", "\"\\u0000\"", "1.5", "\"FP32\"", "\"BYTES\"",
    ];

    private static byte[] MutateJson(byte[] body, Random rng)
    {
        var text = Encoding.UTF8.GetString(body);
        for (var m = rng.Next(1, 4); m > 0; m--)
        {
            var at = rng.Next(text.Length + 1);
            text = rng.Next(5) switch
            {
                0 => text[..at] + JsonTokens[rng.Next(JsonTokens.Length)] + text[at..],
                1 => text.Remove(at, Math.Min(rng.Next(1, 12), text.Length - at)),
                2 => text[..at] + text[at..Math.Min(text.Length, at + rng.Next(1, 40))] + text[at..],
                3 => text[..Math.Min(at, text.Length)],
                _ => text,
            };
        }
        var bytes = Encoding.UTF8.GetBytes(text);
        if (rng.Next(4) == 0 && bytes.Length > 0) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256); // raw byte: often invalid UTF-8
        return bytes;
    }

    private static byte[] MutateBytes(byte[] payload, Random rng)
    {
        var bytes = payload.ToList();
        for (var m = rng.Next(1, 4); m > 0; m--)
        {
            var at = rng.Next(bytes.Count + 1);
            switch (rng.Next(4))
            {
                case 0: if (at < bytes.Count) bytes[at] = (byte)rng.Next(256); break;
                case 1: bytes.RemoveRange(at, Math.Min(rng.Next(1, 8), bytes.Count - at)); break;
                case 2: bytes.InsertRange(at, Enumerable.Range(0, rng.Next(1, 8)).Select(_ => (byte)rng.Next(256))); break;
                default: bytes.RemoveRange(at, bytes.Count - at); break;
            }
        }
        return [.. bytes];
    }

    /// <summary>The witness: a sequence stepped every so often; at the end its outputs must be what it alone gives.</summary>
    private sealed class Witness(TestServer server)
    {
        private static readonly SequenceId Id = new(424242);
        private readonly List<float[]> _outputs = [];

        public async Task StepAsync()
        {
            var k = _outputs.Count;
            using var response = await server.Http.PostAsync("/v2/models/accumulate/infer", Accumulate.JsonContent(Accumulate.Json(Id, k == 0, false, Accumulate.Input(Id.Number, k))));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            _outputs.Add(Accumulate.Output(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement));
        }

        public async Task CheckAsync()
        {
            var reference = await Accumulate.ReferenceAsync(new AccumulatorTestModel(), Id, _outputs.Count);
            for (var k = 0; k < _outputs.Count; k++) Assert.Equal(reference[k], _outputs[k]);
        }
    }

    [Fact]
    public async Task Mutated_JSON_bodies_are_answered_alone_never_with_a_server_error()
    {
        await using var server = await TestServer.StartAsync();
        var witness = new Witness(server);
        await witness.StepAsync();
        var rng = new Random(18_001);
        var valid = Encoding.UTF8.GetBytes(Accumulate.Json(new SequenceId(7), true, false, Accumulate.Input(7, 0), requestId: "r"));
        int ok = 0, refused = 0;
        for (var n = 0; n < 2000 * Scale; n++)
        {
            var body = MutateJson(valid, rng);
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            using var response = await server.Http.PostAsync("/v2/models/accumulate/infer", content);
            var status = (int)response.StatusCode;
            Assert.True(status < 500, $"case {n}: {status} {await response.Content.ReadAsStringAsync()}\n--- body ---\n{Encoding.UTF8.GetString(body)}");
            if (status == 200) ok++; else refused++;
            if (n % 250 == 0) await witness.StepAsync();
        }
        await witness.CheckAsync();
        Assert.True(ok > 20 && refused > 500, $"both outcomes should occur: {ok} answered, {refused} refused");
    }

    [Fact]
    public async Task Mutated_gRPC_bodies_are_answered_alone_never_UNKNOWN_or_INTERNAL()
    {
        await using var server = await TestServer.StartAsync();
        var witness = new Witness(server);
        await witness.StepAsync();
        var rng = new Random(18_002);
        var valid = Accumulate.Grpc("accumulate", new SequenceId(8), true, false, Accumulate.Input(8, 0), "r").ToByteArray();
        int ok = 0, refused = 0;
        for (var n = 0; n < 1000 * Scale; n++)
        {
            var payload = MutateBytes(valid, rng);
            var result = await server.Grpc.CallRawAsync("inference.GRPCInferenceService/ModelInfer", payload, Proto.ModelInferResponse.Parser);
            Assert.True(result.Status is not (2 or 13), $"case {n}: gRPC status {result.Status}: {result.Message}\n--- payload ---\n{Convert.ToHexString(payload)}");
            if (result.Status == 0) ok++; else refused++;
            if (n % 125 == 0) await witness.StepAsync();
        }
        await witness.CheckAsync();
        Assert.True(ok > 20 && refused > 200, $"both outcomes should occur: {ok} answered, {refused} refused");
    }
}
