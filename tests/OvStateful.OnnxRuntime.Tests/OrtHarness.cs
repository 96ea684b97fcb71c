using OvStateful.Core.Config;
using OvStateful.Core.Engines;

namespace OvStateful.OnnxRuntime.Tests;

/// <summary>Loads the real models into ONNX Runtime engines.</summary>
internal static class OrtHarness
{
    public static IStatefulEngine Load(ModelUnderTest m, int slots, ModelConfig? config = null) =>
        EngineHarness.Load(new OnnxRuntimeEngineProvider(), m, slots, config);
}
