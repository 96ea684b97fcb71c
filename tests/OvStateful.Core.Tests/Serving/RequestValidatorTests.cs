using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Tests.Serving;

/// <summary>The one request check: what a config's optional inputs and CORRID type mean for a request.</summary>
public class RequestValidatorTests
{
    private static readonly TensorSpec X = new("x", DataType.Fp32, [1, 2]);
    private static readonly TensorSpec Y = new("y", DataType.Int32, [1, 1]);

    private static InferenceRequest Request(SequenceId id, params Tensor[] inputs) => new() { ModelName = "m", SequenceId = id, SequenceStart = true, Inputs = inputs };

    [Fact]
    public void An_optional_input_may_be_left_out_and_a_required_one_may_not()
    {
        var config = ModelConfigParser.Parse("""
            name: "m"
            input [ { name: "x" data_type: TYPE_FP32 dims: [ 2 ] }, { name: "y" data_type: TYPE_INT32 dims: [ 1 ] optional: true } ]
            sequence_batching { control_input [ { name: "C" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_STRING } ] } ] }
            """);
        var v = RequestValidator.ForConfig([X, Y], [], config);
        var x = Tensor.FromArray("x", DataType.Fp32, [1, 2], new float[2]);
        v.Validate(Request(new SequenceId("s"), x));
        var missing = Assert.Throws<InferenceException>(() => v.Validate(Request(new SequenceId("s"), Tensor.FromArray("y", DataType.Int32, [1, 1], new int[1]))));
        Assert.Equal(InferenceErrorKind.InvalidArgument, missing.Kind);
        Assert.Equal("model 'm': input 'x' is missing; expected FP32 [1, 2]", missing.Message);
        var number = Assert.Throws<InferenceException>(() => v.Validate(Request(new SequenceId(7), x)));
        Assert.Contains("takes string sequence ids", number.Message);
        Assert.Contains("parameter 'sequence_id' is required", Assert.Throws<InferenceException>(() => v.Validate(Request(default, x))).Message);
    }

    [Fact]
    public void Binding_puts_bytes_in_model_order_and_leaves_an_omitted_optional_input_empty()
    {
        var v = new RequestValidator("m", [X, Y], [], isSequenceModel: false, CorrelationIdKind.Any, new HashSet<string> { "y" });
        var bound = new ReadOnlyMemory<byte>[2];
        Assert.Null(v.Bind([Tensor.FromArray("x", DataType.Fp32, [1, 2], new float[] { 1, 2 })], bound));
        Assert.Equal(8, bound[0].Length);
        Assert.True(bound[1].IsEmpty);
        Assert.Contains("input byte size mismatch for input 'x' for model 'm'. Expected 8, got 4", v.Bind([new Tensor("x", DataType.Fp32, [1, 2], new byte[4])], bound));
    }
}
