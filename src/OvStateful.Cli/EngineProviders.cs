using OvStateful.Core.Engines;
using OvStateful.OnnxRuntime;
using OvStateful.OpenVino;

namespace OvStateful.Cli;

/// <summary>The engine providers this program is built with; commands that inspect or load models take them from here.</summary>
internal static class EngineProviders
{
    /// <param name="ort">Host-wide ONNX Runtime settings (threads, device override); null = defaults.</param>
    /// <param name="openVino">Host-wide OpenVINO settings (threads); null = OpenVINO's defaults.</param>
    public static IReadOnlyList<IEngineProvider> Create(OnnxRuntimeOptions? ort = null, OpenVinoProviderOptions? openVino = null) =>
        [new OnnxRuntimeEngineProvider(ort), new OpenVinoEngineProvider(openVino)];

    /// <summary>Both engines with the same inference thread count (0 = each runtime's default), for side-by-side runs.</summary>
    public static IReadOnlyList<IEngineProvider> WithThreads(int threads) =>
        Create(new OnnxRuntimeOptions { IntraOpThreads = threads }, new OpenVinoProviderOptions { NumThreads = threads });
}
