using OvStateful.Core.Engines;
using OvStateful.OnnxRuntime;

namespace OvStateful.Cli;

/// <summary>The engine providers this program is built with; commands that inspect or load models take them from here.</summary>
internal static class EngineProviders
{
    public static IReadOnlyList<IEngineProvider> Create()
    {
        // TODO(lead): add the OpenVINO provider (OvStateful.OpenVino) once it exists; until then
        // engine=openvino models are checked by config only and reported as such.
        return [new OnnxRuntimeEngineProvider()];
    }
}
