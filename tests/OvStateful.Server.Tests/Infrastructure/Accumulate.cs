using System.Text;
using System.Text.Json;
using Google.Protobuf;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Tests.Infrastructure;

/// <summary>Steps for accumulate-style models (Input/Output FP32 [1, 4, 1, 5]) in every wire form the tests use.</summary>
internal static class Accumulate
{
    public static readonly long[] Shape = [1, 4, 1, 5];

    /// <summary>Deterministic, distinct per sequence and step, exact in FP32.</summary>
    public static float[] Input(ulong sequence, int step)
    {
        var v = new float[20];
        for (var i = 0; i < 20; i++) v[i] = (float)((double)(sequence % 97) + step * 3 + i * 0.25);
        return v;
    }

    public static InferenceRequest InProcess(string model, SequenceId id, int step, bool start, bool end, float[] input) => new()
    {
        ModelName = model,
        SequenceId = id,
        SequenceStart = start,
        SequenceEnd = end,
        Inputs = [Tensor.FromArray("Input", DataType.Fp32, Shape, input)],
    };

    public static Proto.ModelInferRequest Grpc(string model, SequenceId id, bool start, bool end, float[] input, string? requestId = null)
    {
        var r = new Proto.ModelInferRequest { ModelName = model, Id = requestId ?? "" };
        var t = new Proto.ModelInferRequest.Types.InferInputTensor { Name = "Input", Datatype = "FP32" };
        t.Shape.AddRange(Shape);
        r.Inputs.Add(t);
        r.RawInputContents.Add(ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(input.AsSpan())));
        r.Parameters["sequence_id"] = id.IsString ? new Proto.InferParameter { StringParam = id.Text } : new Proto.InferParameter { Uint64Param = id.Number };
        r.Parameters["sequence_start"] = new Proto.InferParameter { BoolParam = start };
        r.Parameters["sequence_end"] = new Proto.InferParameter { BoolParam = end };
        return r;
    }

    /// <summary>
    /// Steps 0..steps-1 of streams × perStream sequences (ids first, first + 1, …) over
    /// <paramref name="streams"/> ModelStreamInfer streams, interleaved on each stream (step k of
    /// every sequence, then step k + 1), each request id "sequence/step". Every stream must end
    /// OK; returns all their responses.
    /// </summary>
    public static async Task<List<Proto.ModelStreamInferResponse>> StreamInterleavedAsync(GrpcTestClient grpc, string model, ulong first, int streams, int perStream, int steps)
    {
        var results = await Task.WhenAll(Enumerable.Range(0, streams).Select(async st =>
        {
            await using var stream = await grpc.StreamAsync("inference.GRPCInferenceService/ModelStreamInfer", Proto.ModelStreamInferResponse.Parser);
            for (var k = 0; k < steps; k++)
            {
                for (var i = 0; i < perStream; i++)
                {
                    var n = first + (ulong)(st * perStream + i);
                    stream.Send(Grpc(model, new SequenceId(n), k == 0, k == steps - 1, Input(n, k), $"{n}/{k}"));
                }
            }
            stream.CompleteRequests();
            var got = new List<Proto.ModelStreamInferResponse>();
            while (await stream.ReadAsync() is { } r) got.Add(r);
            Assert.Equal(0, stream.Status().Status);
            return got;
        }));
        return results.SelectMany(r => r).ToList();
    }

    public static float[] Output(Proto.ModelInferResponse r) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(r.RawOutputContents[0].Span).ToArray();

    /// <summary>KServe JSON body with nested data [1][4][1][5].</summary>
    public static string Json(SequenceId id, bool start, bool end, float[] input, string? requestId = null)
    {
        var nested = new object[] { Enumerable.Range(0, 4).Select(r => new object[] { input.Skip(r * 5).Take(5).ToArray() }).ToArray() };
        var body = new Dictionary<string, object?>
        {
            ["parameters"] = new Dictionary<string, object?>
            {
                ["sequence_id"] = id.IsString ? id.Text : id.Number,
                ["sequence_start"] = start,
                ["sequence_end"] = end,
            },
            ["inputs"] = new[] { new Dictionary<string, object?> { ["name"] = "Input", ["shape"] = Shape, ["datatype"] = "FP32", ["data"] = nested } },
        };
        if (requestId is not null) body["id"] = requestId;
        return JsonSerializer.Serialize(body);
    }

    public static StringContent JsonContent(string json) => new(json, Encoding.UTF8, "application/json");

    public static float[] Output(JsonElement response) =>
        response.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(e => e.GetSingle()).ToArray();

    /// <summary>What the model answers in-process for the given steps of one sequence.</summary>
    public static async Task<List<float[]>> ReferenceAsync(IServedModel reference, SequenceId id, int steps)
    {
        var outputs = new List<float[]>();
        for (var s = 0; s < steps; s++)
        {
            var r = await reference.InferAsync(InProcess(reference.Name, id, s, s == 0, s == steps - 1, Input(Key(id), s)), CancellationToken.None);
            outputs.Add(r.Outputs[0].ToArray<float>());
        }
        return outputs;
    }

    public static ulong Key(SequenceId id) => id.IsString ? (ulong)id.Text!.Length * 31 + id.Text![^1] : id.Number;
}
