using Microsoft.Extensions.Logging.Abstractions;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.OnnxRuntime;
using OvStateful.Server.Hosting;

namespace OvStateful.Cli;

/// <summary>Builds the model registry that <c>ovs serve</c> hands to the server.</summary>
internal static class ModelRegistryFactory
{
    /// <summary>
    /// Opens <paramref name="options"/>' repository and loads every model its policy selects (engine per
    /// config, batcher per model). A model that fails to load is UNAVAILABLE with its reason in
    /// the repository index; the others serve. <paramref name="observer"/> hears of sequence
    /// starts and ends (the correlation-id manager, so END and idle timeouts end leases).
    /// </summary>
    public static async Task<IModelRegistry> CreateAsync(ServerOptions options, ISequenceLifecycleObserver? observer, CancellationToken cancellationToken)
    {
        var ort = new OnnxRuntimeOptions
        {
            IntraOpThreads = options.EffectiveIntraOpThreads,
            InterOpThreads = options.InterOpThreads,
            Device = string.IsNullOrEmpty(options.Device) ? null : options.Device,
            // A server shares its cores with Kestrel's threads: intra-op threads sleep between
            // hand-offs instead of spinning (spinning only during a run measured slower still).
            Spinning = IntraOpSpinning.Never,
        };
        var batching = new BatcherOptions { Observer = observer, SpillEnabled = options.SpillEnabled, SpillMemoryCapBytes = options.SpillMemoryCapBytes };
        // No engine logger: the server's start-up report warns of a model on another device than
        // its config asks for (from each engine's Description), in the server's log format.
        // OpenVINO models take the same thread count unless their config sets openvino_num_threads.
        var openVino = new OpenVino.OpenVinoProviderOptions { NumThreads = options.EffectiveIntraOpThreads };
        var registry = new ModelRegistry(options.ModelRepository, EngineProviders.Create(ort, NullLoggerFactory.Instance, openVino), batching, defaultEngine: options.DefaultEngine);
        try
        {
            await registry.LoadAllAsync(cancellationToken);
            return registry;
        }
        catch
        {
            await registry.DisposeAsync();
            throw;
        }
    }
}
