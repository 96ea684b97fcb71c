using OvStateful.OnnxRuntime;
using OvStateful.OpenVino;

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

/// <summary>Needs ONNX Runtime and the Silero VAD model the build fetches (models/silero_vad/1/model.onnx).</summary>
public sealed class SileroFactAttribute : FactAttribute
{
    public SileroFactAttribute()
    {
        var availability = new OnnxRuntimeEngineProvider().Availability;
        if (!availability.IsAvailable) Skip = $"ONNX Runtime is not available here: {availability.Reason}";
        else if (!File.Exists(Path.Combine(CliRunner.Models, "silero_vad", "1", "model.onnx")))
            Skip = "models/silero_vad/1/model.onnx is missing (eng/fetch-assets.sh silero fetches it)";
    }
}

/// <summary>Checks what the commands say when OpenVINO is missing; skipped where OpenVINO is installed.</summary>
public sealed class OpenVinoMissingFactAttribute : FactAttribute
{
    public OpenVinoMissingFactAttribute()
    {
        if (new OpenVinoEngineProvider().Availability.IsAvailable) Skip = "OpenVINO is installed here, so it cannot be reported unavailable";
        else if (!new OnnxRuntimeEngineProvider().Availability.IsAvailable) Skip = "ONNX Runtime is not available here";
    }
}
