using OvStateful.Core.Config;
using OvStateful.Core.Engines;

namespace OvStateful.OpenVino.Tests;

/// <summary>Loads the real models into OpenVINO engines.</summary>
internal static class OvHarness
{
    public static IStatefulEngine Load(ModelUnderTest m, int slots, ModelConfig? config = null) =>
        EngineHarness.Load(new OpenVinoEngineProvider(), m, slots, config);
}
