using Microsoft.Extensions.Logging;
using OvStateful.Core.Engines;
using OvStateful.OnnxRuntime;
using OvStateful.OpenVino;

namespace OvStateful.Cli;

/// <summary>The engine providers this program is built with; commands that inspect or load models take them from here.</summary>
internal static class EngineProviders
{
    // Engine warnings (a model on another device than its config asks for) go to stderr, one line each.
    private static readonly Lazy<ILoggerFactory> Warnings = new(() => LoggerFactory.Create(l => l
        .AddSimpleConsole(c => c.SingleLine = true)
        .AddConsole(c => c.LogToStandardErrorThreshold = LogLevel.Trace)
        .SetMinimumLevel(LogLevel.Warning)));

    /// <param name="ort">Host-wide ONNX Runtime settings (threads, device override); null = defaults.</param>
    /// <param name="logging">Where engine warnings go; null = stderr.</param>
    /// <param name="openVino">Host-wide OpenVINO settings (threads); null = OpenVINO's defaults.</param>
    public static IReadOnlyList<IEngineProvider> Create(OnnxRuntimeOptions? ort = null, ILoggerFactory? logging = null, OpenVinoProviderOptions? openVino = null) =>
        [new OnnxRuntimeEngineProvider(ort, (logging ?? Warnings.Value).CreateLogger("OvStateful.OnnxRuntime")), new OpenVinoEngineProvider(openVino)];

    /// <summary>Both engines with the same inference thread count (0 = each runtime's default), for side-by-side runs.</summary>
    public static IReadOnlyList<IEngineProvider> WithThreads(int threads) =>
        Create(new OnnxRuntimeOptions { IntraOpThreads = threads }, openVino: new OpenVinoProviderOptions { NumThreads = threads });
}
