using System.Net;
using System.Text.Json;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Server.Tests.Infrastructure;
using OvStateful.Server.Tests.TestDoubles;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Tests;

/// <summary>
/// ModelStreamInfer and many concurrent sequences: every output equals what the model answers
/// in-process for the same steps.
/// </summary>
public sealed class StreamingTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Stream_answers_each_request_with_its_id_and_errors_do_not_end_it()
    {
        await using var stream = await _server.Grpc.StreamAsync("inference.GRPCInferenceService/ModelStreamInfer", Proto.ModelStreamInferResponse.Parser);
        var id = new SequenceId(500);
        var expected = await Accumulate.ReferenceAsync(new AccumulatorTestModel(), id, 2);

        stream.Send(Accumulate.Grpc("accumulate", id, true, false, Accumulate.Input(500, 0), "s0"));
        var r0 = await stream.ReadAsync();
        Assert.Equal("", r0!.ErrorMessage);
        Assert.Equal("s0", r0.InferResponse.Id);
        Assert.Equal(expected[0], Accumulate.Output(r0.InferResponse));

        // A bad request (unknown model), a malformed message, and a step of an unknown sequence.
        var bad = Accumulate.Grpc("nope", id, false, false, Accumulate.Input(500, 1), "bad");
        stream.Send(bad);
        var rb = await stream.ReadAsync();
        Assert.StartsWith("Request for unknown model: 'nope' is not found", rb!.ErrorMessage);
        Assert.Equal("bad", rb.InferResponse.Id);
        stream.SendRaw([0xFF, 0xFF]);
        Assert.Contains("malformed protobuf", (await stream.ReadAsync())!.ErrorMessage);
        stream.Send(Accumulate.Grpc("accumulate", new SequenceId(501), false, false, Accumulate.Input(501, 0), "lost"));
        var rl = await stream.ReadAsync();
        Assert.Contains("sequence 501 of model 'accumulate' is not live", rl!.ErrorMessage);
        Assert.Equal("lost", rl.InferResponse.Id);

        stream.Send(Accumulate.Grpc("accumulate", id, false, true, Accumulate.Input(500, 1), "s1"));
        var r1 = await stream.ReadAsync();
        Assert.Equal("s1", r1!.InferResponse.Id);
        Assert.Equal(expected[1], Accumulate.Output(r1.InferResponse));

        stream.CompleteRequests();
        Assert.Null(await stream.ReadAsync());
        Assert.Equal(0, stream.Status().Status);
    }

    [Fact]
    public async Task Many_sequences_over_grpc_streams_match_the_model_in_process()
    {
        const int streams = 4, perStream = 32, steps = 4;
        var reference = new AccumulatorTestModel();
        var expected = new Dictionary<string, float[]>();
        for (var s = 0; s < streams * perStream; s++)
        {
            var outs = await Accumulate.ReferenceAsync(reference, new SequenceId(1000 + (ulong)s), steps);
            for (var k = 0; k < steps; k++) expected[$"{1000 + s}/{k}"] = outs[k];
        }

        var all = await Accumulate.StreamInterleavedAsync(_server.Grpc, "accumulate", 1000, streams, perStream, steps);
        Assert.Equal(streams * perStream * steps, all.Count);
        Assert.All(all, r => Assert.Equal("", r.ErrorMessage));
        foreach (var r in all) Assert.Equal(expected[r.InferResponse.Id], Accumulate.Output(r.InferResponse));
    }

    [Fact]
    public async Task Many_concurrent_sequences_over_http_match_the_model_in_process()
    {
        const int sequences = 128, steps = 4;
        var reference = new AccumulatorTestModel();
        await Task.WhenAll(Enumerable.Range(0, sequences).Select(async s =>
        {
            var id = new SequenceId(5000 + (ulong)s);
            var expected = await Accumulate.ReferenceAsync(reference, id, steps);
            for (var k = 0; k < steps; k++)
            {
                using var response = await _server.Http.PostAsync("/v2/models/accumulate/infer",
                    Accumulate.JsonContent(Accumulate.Json(id, k == 0, k == steps - 1, Accumulate.Input(id.Number, k))));
                var text = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.OK, text);
                Assert.Equal(expected[k], Accumulate.Output(JsonDocument.Parse(text).RootElement));
            }
        }));
        Assert.Equal(0, ((AccumulatorTestModel)Served("accumulate")).LiveSequences);
    }

    private IServedModel Served(string name) => _server.Registry.TryGet(name, null, out var m) ? m! : throw new InvalidOperationException(name);
}
