using Google.Protobuf;
using OvStateful.Server.Tests.Infrastructure;
using OvStateful.Server.Tests.TestDoubles;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Tests;

/// <summary>
/// On one ModelStreamInfer stream, the responses to one sequence's steps leave in the order
/// the steps were sent, however the model completes them (Triton's stream sequence clients
/// store results in arrival order). Responses of different sequences may interleave.
/// </summary>
public sealed class StreamOrderTests : IAsyncLifetime
{
    // OVS_STRESS=1 runs the long variant.
    private static readonly int Rounds = Environment.GetEnvironmentVariable("OVS_STRESS") is { Length: > 0 } ? 100 : 5;
    private readonly StepIndexTestModel _model = new();
    private TestServer _server = null!;

    public async Task InitializeAsync() => _server = await TestServer.StartAsync(new TestModelRegistry(_model));

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _model.Dispose();
    }

    [Fact]
    public async Task One_sequences_responses_keep_step_order_on_every_stream()
    {
        const int streams = 200, perStream = 3, steps = 8;
        for (var round = 0; round < Rounds; round++)
        {
            var first = 1 + (ulong)(round * streams * perStream);
            await Task.WhenAll(Enumerable.Range(0, streams).Select(async st =>
            {
                await using var stream = await _server.Grpc.StreamAsync("inference.GRPCInferenceService/ModelStreamInfer", Proto.ModelStreamInferResponse.Parser);
                // Every step is sent before any answer is read: steps of one sequence are in
                // flight together, interleaved with the stream's other sequences.
                for (var k = 0; k < steps; k++)
                    for (var i = 0; i < perStream; i++)
                        stream.Send(Step(first + (ulong)(st * perStream + i), k, steps));
                stream.CompleteRequests();

                var seen = new Dictionary<ulong, List<long>>();
                while (await stream.ReadAsync() is { } r)
                {
                    Assert.Equal("", r.ErrorMessage);
                    var sequence = r.InferResponse.Parameters["sequence_id"].Uint64Param;
                    var index = BitConverter.ToInt64(r.InferResponse.RawOutputContents[0].Span);
                    (seen.TryGetValue(sequence, out var list) ? list : seen[sequence] = []).Add(index);
                }
                Assert.Equal(0, stream.Status().Status);
                Assert.Equal(perStream, seen.Count);
                foreach (var (sequence, indexes) in seen)
                    Assert.True(indexes.SequenceEqual(Enumerable.Range(0, steps).Select(k => (long)k)), $"round {round}, stream {st}, sequence {sequence}: {string.Join(", ", indexes)}");
            }));
        }
    }

    private static Proto.ModelInferRequest Step(ulong sequence, int k, int steps)
    {
        var r = new Proto.ModelInferRequest { ModelName = "step_index", Id = $"{sequence}_{k}" };
        var x = new Proto.ModelInferRequest.Types.InferInputTensor { Name = "X", Datatype = "INT64" };
        x.Shape.Add([1, 1]);
        r.Inputs.Add(x);
        r.RawInputContents.Add(ByteString.CopyFrom(BitConverter.GetBytes((long)k)));
        r.Parameters["sequence_id"] = new Proto.InferParameter { Uint64Param = sequence };
        r.Parameters["sequence_start"] = new Proto.InferParameter { BoolParam = k == 0 };
        r.Parameters["sequence_end"] = new Proto.InferParameter { BoolParam = k == steps - 1 };
        return r;
    }
}
