using OvStateful.OnnxRuntime.Interop;

namespace OvStateful.OnnxRuntime.Tests;

public class InteropSmokeTests
{
    [Fact]
    public void Reads_conformance_model_metadata()
    {
        var path = Path.Combine(TestPaths.Conformance, "accumulate_fp32", "1", "accumulate_fp32.onnx");
        using var s = OrtSession.Create(path, new OrtSessionSettings());
        foreach (var i in s.Inputs) Console.WriteLine($"in {i.Name} {i.ElementType} [{string.Join(",", i.Shape)}] [{string.Join(",", i.SymbolicDims)}]");
        foreach (var o in s.Outputs) Console.WriteLine($"out {o.Name} {o.ElementType} [{string.Join(",", o.Shape)}]");
        var silero = Path.Combine(TestPaths.Models, "silero_vad", "1", "model.onnx");
        using var v = OrtSession.Create(silero, new OrtSessionSettings());
        foreach (var i in v.Inputs) Console.WriteLine($"in {i.Name} {i.ElementType} [{string.Join(",", i.Shape)}] [{string.Join(",", i.SymbolicDims)}]");
        foreach (var o in v.Outputs) Console.WriteLine($"out {o.Name} {o.ElementType} [{string.Join(",", o.Shape)}]");
        Assert.Contains(s.Inputs, i => i.Name == "Accumulate_In");
    }
}
