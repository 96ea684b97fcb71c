using OvStateful.Core.Engines;

namespace OvStateful.OpenVino.Tests;

/// <summary>
/// Whether the OpenVINO engine can run here; the reason is the finder's one line. Under
/// OVS_REQUIRE_OPENVINO=1 (what .ci/run sets) nothing is skipped: a missing runtime fails the tests.
/// </summary>
internal static class OpenVinoRuntime
{
    private static readonly Lazy<EngineAvailability> s_availability = new(() => new OpenVinoEngineProvider().Availability);

    public static bool Required => Environment.GetEnvironmentVariable("OVS_REQUIRE_OPENVINO") == "1";

    public static string? SkipReason => Required || s_availability.Value.IsAvailable ? null : s_availability.Value.Reason;
}

/// <summary>A fact that needs the OpenVINO runtime and the shim; skipped with the finder's reason when they are absent.</summary>
public sealed class OpenVinoFactAttribute : FactAttribute
{
    public OpenVinoFactAttribute()
    {
        if (OpenVinoRuntime.SkipReason is { } reason) Skip = reason;
    }
}

/// <summary>A theory that needs the OpenVINO runtime and the shim; skipped with the finder's reason when they are absent.</summary>
public sealed class OpenVinoTheoryAttribute : TheoryAttribute
{
    public OpenVinoTheoryAttribute()
    {
        if (OpenVinoRuntime.SkipReason is { } reason) Skip = reason;
    }
}
