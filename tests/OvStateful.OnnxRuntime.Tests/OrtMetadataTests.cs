namespace OvStateful.OnnxRuntime.Tests;

/// <summary>What the official C# API reports about real model files, as the engine reads it.</summary>
public class OrtMetadataTests
{
    [Fact]
    public void Dynamic_dimensions_read_as_minus_one_in_the_models_order()
    {
        var path = Path.Combine(TestPaths.Conformance, "accumulate_fp32", "1", "accumulate_fp32.onnx");
        var signature = new OnnxRuntimeEngineProvider().Inspect(path);
        Assert.Equal(["Input", "Accumulate_In", "ResetSequence"], signature.Inputs.Select(i => i.Name));
        Assert.Equal([-1L, -1, 5], signature.Inputs[0].Shape);
        Assert.Equal([-1L, 5], signature.Inputs[1].Shape);
        Assert.Equal(Core.Tensors.DataType.Bool, signature.Inputs[2].DataType);
        Assert.Equal(["Output", "Accumulate_Out"], signature.Outputs.Select(o => o.Name));
    }

    [Fact]
    public void Silero_declares_its_state_with_the_batch_on_axis_1()
    {
        var signature = new OnnxRuntimeEngineProvider().Inspect(Path.Combine(TestPaths.Models, "silero_vad", "1", "model.onnx"));
        var state = signature.Inputs.Single(i => i.Name == "state");
        Assert.Equal([2L, -1, 128], state.Shape);
        Assert.Equal(Core.Tensors.DataType.Int64, signature.Inputs.Single(i => i.Name == "sr").DataType);
    }
}
