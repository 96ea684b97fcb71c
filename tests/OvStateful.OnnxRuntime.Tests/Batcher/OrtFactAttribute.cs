namespace OvStateful.OnnxRuntime.Tests.Batcher;

/// <summary>Why ONNX Runtime tests cannot run here, or null when they can.</summary>
internal static class OrtPresence
{
    public static readonly string? SkipReason = Probe();

    private static string? Probe()
    {
        var a = new OnnxRuntimeEngineProvider().Availability;
        return a.IsAvailable ? null : "ONNX Runtime is not available here: " + a.Reason;
    }
}

/// <summary>A fact that skips, with the reason, when ONNX Runtime cannot be loaded.</summary>
public sealed class OrtFactAttribute : FactAttribute
{
    public OrtFactAttribute()
    {
        if (OrtPresence.SkipReason is { } reason) Skip = reason;
    }
}

/// <summary>A theory that skips, with the reason, when ONNX Runtime cannot be loaded.</summary>
public sealed class OrtTheoryAttribute : TheoryAttribute
{
    public OrtTheoryAttribute()
    {
        if (OrtPresence.SkipReason is { } reason) Skip = reason;
    }
}
