using OvStateful.Core.Engines;

namespace OvStateful.Cli;

/// <summary>The engine providers this program is built with; commands that inspect or load models take them from here.</summary>
internal static class EngineProviders
{
    public static IReadOnlyList<IEngineProvider> Create()
    {
        // TODO(lead): add new OvStateful.OnnxRuntime.OnnxRuntimeEngineProvider() here once it exists,
        // and the OpenVINO provider (OvStateful.OpenVino) after it. Until then `ovs validate` checks
        // configs only and reports the engine as not built in.
        return [];
    }
}
