using Google.Protobuf;
using Microsoft.Extensions.ObjectPool;
using OvStateful.Server.Grpc;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Tests;

/// <summary>
/// A stream's requests are parsed into pooled messages (<see cref="GrpcStreamInfer.Requests"/>):
/// a cleared message must equal a new one, whatever it held, or a later request would inherit
/// fields of an earlier one.
/// </summary>
public sealed class GrpcRequestReuseTests
{
    private static Proto.ModelInferRequest Full()
    {
        var m = new Proto.ModelInferRequest { ModelName = "m", ModelVersion = "2", Id = "r1" };
        m.Parameters["sequence_id"] = new Proto.InferParameter { Uint64Param = 7 };
        m.Inputs.Add(new Proto.ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP32", Shape = { 1, 2 } });
        m.Outputs.Add(new Proto.ModelInferRequest.Types.InferRequestedOutputTensor { Name = "y" });
        m.RawInputContents.Add(ByteString.CopyFrom(new byte[8]));
        // An unknown field (number 99, varint 1) as a newer client might send it.
        byte[] unknown = [.. m.ToByteArray(), 0x98, 0x06, 0x01];
        var parsed = Proto.ModelInferRequest.Parser.ParseFrom(unknown);
        Assert.NotEqual(m, parsed); // the unknown field is kept
        return parsed;
    }

    [Fact]
    public void Clear_handles_every_field_the_message_declares()
    {
        // A field added to the .proto must be cleared too: this list is what Clear knows.
        Assert.Equal(["model_name", "model_version", "id", "parameters", "inputs", "outputs", "raw_input_contents"],
            Proto.ModelInferRequest.Descriptor.Fields.InFieldNumberOrder().Select(f => f.Name));
        var m = Full();
        m.Clear();
        Assert.Equal(new Proto.ModelInferRequest(), m);
        Assert.Empty(m.ToByteArray());
    }

    [Fact]
    public void A_message_parsed_into_a_reused_one_equals_one_parsed_afresh()
    {
        var pool = new DefaultObjectPool<Proto.ModelInferRequest>(new ClearedRequestPolicy(), 4);
        var used = pool.Get();
        used.MergeFrom(Full().ToByteArray());
        var next = new Proto.ModelInferRequest { ModelName = "other", Inputs = { new Proto.ModelInferRequest.Types.InferInputTensor { Name = "z" } } };
        pool.Return(used);
        var reused = pool.Get();
        Assert.Same(used, reused);
        reused.MergeFrom(next.ToByteArray());
        Assert.Equal(next, reused);
    }
}
