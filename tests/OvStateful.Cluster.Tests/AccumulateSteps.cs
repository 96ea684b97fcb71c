using Google.Protobuf;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Cluster.Tests;

/// <summary>
/// Steps of Triton's accumulate example (models/accumulate, ONNX Runtime): each sequence's inputs
/// differ, so a step that reached another sequence's state, or a state lost or applied twice,
/// changes every later output. The expected outputs come from a single-node, in-process run.
/// </summary>
internal static class AccumulateSteps
{
    public const string Model = "accumulate";

    public static float[] Input(ulong sequence, int step) =>
        [.. Enumerable.Range(0, 20).Select(i => (float)((sequence % 97) * 0.25 + step * 1.5 + i * 0.125))];

    public static Proto.ModelInferRequest Request(ulong sequence, int step, int steps)
    {
        var r = new Proto.ModelInferRequest { ModelName = Model, Id = $"{sequence}_{step}" };
        var x = new Proto.ModelInferRequest.Types.InferInputTensor { Name = "Input", Datatype = "FP32" };
        x.Shape.Add([1, 4, 1, 5]);
        r.Inputs.Add(x);
        var data = Input(sequence, step);
        var bytes = new byte[data.Length * 4];
        Buffer.BlockCopy(data, 0, bytes, 0, bytes.Length);
        r.RawInputContents.Add(ByteString.CopyFrom(bytes));
        r.Parameters["sequence_id"] = new Proto.InferParameter { Uint64Param = sequence };
        r.Parameters["sequence_start"] = new Proto.InferParameter { BoolParam = step == 0 };
        r.Parameters["sequence_end"] = new Proto.InferParameter { BoolParam = step == steps - 1 };
        return r;
    }

    public static float[] Output(Proto.ModelInferResponse response)
    {
        var raw = response.RawOutputContents[0].ToByteArray();
        var values = new float[raw.Length / 4];
        Buffer.BlockCopy(raw, 0, values, 0, raw.Length);
        return values;
    }

    /// <summary>Every step's output of each sequence, run alone on one node in process.</summary>
    public static async Task<Dictionary<ulong, float[][]>> ReferenceAsync(IModelRegistry registry, IEnumerable<ulong> sequences, int steps)
    {
        Assert.True(registry.TryGet(Model, null, out var model));
        var expected = new Dictionary<ulong, float[][]>();
        foreach (var s in sequences)
        {
            var outputs = new float[steps][];
            for (var k = 0; k < steps; k++)
            {
                var r = await model!.InferAsync(new InferenceRequest
                {
                    ModelName = Model,
                    SequenceId = new SequenceId(s),
                    SequenceStart = k == 0,
                    SequenceEnd = k == steps - 1,
                    Inputs = [Tensor.FromArray("Input", DataType.Fp32, [1, 4, 1, 5], Input(s, k))],
                }, CancellationToken.None);
                outputs[k] = r.Outputs[0].ToArray<float>();
            }
            expected[s] = outputs;
        }
        return expected;
    }
}
