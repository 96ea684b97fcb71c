using Google.Protobuf;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using OvStateful.Server.Grpc;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Tests;

/// <summary>
/// A stream refills the responses it already wrote (<see cref="StreamResponseQueue.Rent"/>):
/// a refilled response must equal a new one whatever the message held before, and refilling
/// must allocate (almost) nothing, or the reuse is pointless.
/// </summary>
public sealed class GrpcResponseReuseTests
{
    private static InferenceRequest Request(SequenceId id, bool start = false, bool end = false, string? requestId = null) => new()
    {
        ModelName = "m",
        SequenceId = id,
        SequenceStart = start,
        SequenceEnd = end,
        RequestId = requestId,
        Inputs = [],
    };

    private static InferenceResponse Response(int outputs, IReadOnlyList<KeyValuePair<string, string>>? parameters = null) => new()
    {
        ModelName = "m",
        ModelVersion = "1",
        Outputs = Enumerable.Range(0, outputs).Select(i => new Tensor($"out{i}", DataType.Fp32, [1, i + 1], new byte[4 * (i + 1)])).ToArray(),
        Parameters = parameters,
    };

    public static TheoryData<int> Previous => new() { 0, 1, 2, 3 };

    [Theory]
    [MemberData(nameof(Previous))]
    public void A_refilled_response_equals_a_new_one_whatever_it_held(int before)
    {
        // What the message held before: each a different shape of response.
        (InferenceResponse, InferenceRequest)[] earlier =
        [
            (Response(1), Request(new SequenceId(5), start: true)),
            (Response(2, [new("ovs_node", "b:1")]), Request(new SequenceId("abc"), end: true, requestId: "r1")),
            (Response(1), Request(default)),
            (Response(0), Request(new SequenceId(9))),
        ];
        (InferenceResponse, InferenceRequest)[] next =
        [
            (Response(1), Request(new SequenceId(7), end: true, requestId: "x")),
            (Response(2), Request(new SequenceId("s-2"), start: true)),
            (Response(1, [new("ovs_node", "a:2")]), Request(new SequenceId(3))),
            (Response(1), Request(default, requestId: "plain")),
        ];
        foreach (var (response, request) in next)
        {
            var reused = GrpcInferCodec.Encode(earlier[before].Item1, earlier[before].Item2);
            var refilled = GrpcInferCodec.Encode(response, request, into: reused);
            Assert.Same(reused, refilled);
            var fresh = GrpcInferCodec.Encode(response, request);
            Assert.Equal(fresh, refilled);
            Assert.Equal(fresh.ToByteArray(), refilled.ToByteArray());
        }
    }

    [Fact]
    public void Refilling_a_sequence_steps_response_allocates_only_the_output_wrappers()
    {
        var output = new Tensor("output", DataType.Fp32, [1, 1], new byte[4]);
        var response = new InferenceResponse { ModelName = "silero_vad", ModelVersion = "1", Outputs = [output] };
        var requests = Enumerable.Range(0, 300).Select(i => Request(new SequenceId((ulong)i + 1), start: i % 7 == 0, end: i % 5 == 0)).ToArray();
        var message = GrpcInferCodec.Encode(response, requests[0]);
        for (var i = 0; i < 50; i++) GrpcInferCodec.Encode(response, requests[i], into: message); // warm: JIT
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 50; i < requests.Length; i++) GrpcInferCodec.Encode(response, requests[i], into: message);
        var perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)(requests.Length - 50);
        // One ByteString over the output's memory (32 bytes); a new message is about 1.4 KB.
        Assert.True(perStep <= 64, $"refilling allocated {perStep:0} bytes a step");
    }
}
