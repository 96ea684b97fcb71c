using OvStateful.Core.Engines;
using OvStateful.OnnxRuntime;
using OvStateful.OpenVino;

namespace OvStateful.Cli;

/// <summary>The engine providers this program is built with; commands that inspect or load models take them from here.</summary>
internal static class EngineProviders
{
    /// <param name="ort">Host-wide ONNX Runtime settings (threads, device override); null = defaults.</param>
    public static IReadOnlyList<IEngineProvider> Create(OnnxRuntimeOptions? ort = null) =>
        [new OnnxRuntimeEngineProvider(ort), new OpenVinoEngineProvider()];
}
