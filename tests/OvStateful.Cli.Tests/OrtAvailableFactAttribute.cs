using OvStateful.OnnxRuntime;

namespace OvStateful.Cli.Tests;

/// <summary>A fact that needs the ONNX Runtime native library; skipped, with the reason, where it is missing.</summary>
public sealed class OrtAvailableFactAttribute : FactAttribute
{
    public OrtAvailableFactAttribute()
    {
        var availability = new OnnxRuntimeEngineProvider().Availability;
        if (!availability.IsAvailable) Skip = $"ONNX Runtime is not available here: {availability.Reason}";
    }
}
