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

/// <summary>Checks what the commands say about an OpenVINO engine that cannot run (see <see cref="UnrunnableOpenVino"/>); needs ONNX Runtime.</summary>
public sealed class OpenVinoMissingFactAttribute : FactAttribute
{
    public OpenVinoMissingFactAttribute()
    {
        if (!new OnnxRuntimeEngineProvider().Availability.IsAvailable) Skip = "ONNX Runtime is not available here";
    }
}

/// <summary>
/// An OpenVINO engine choice that cannot run here, and the reason the commands must print: OpenVINO itself
/// where it is not installed; where it is (CI builds it against ../shared/openvino), a GPU it does not have.
/// </summary>
internal static class UnrunnableOpenVino
{
    public static (string Engine, string Reason) Get()
    {
        var availability = new OpenVinoEngineProvider().Availability;
        return availability.IsAvailable
            ? ("openvino:GPU.9", "OpenVINO device GPU.9 is not available here; OpenVINO sees CPU")
            : ("openvino", availability.Reason);
    }
}

/// <summary>A theory that needs the ONNX Runtime native library; skipped, with the reason, where it is missing.</summary>
public sealed class OrtAvailableTheoryAttribute : TheoryAttribute
{
    public OrtAvailableTheoryAttribute()
    {
        if (new OrtAvailableFactAttribute().Skip is { } skip) Skip = skip;
    }
}
