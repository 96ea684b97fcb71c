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
    /// Opens <paramref name="options"/>' repository and loads the models its model control mode
    /// selects (engine per config, batcher per model); in poll mode it then polls the repository. <paramref name="observer"/> hears of sequence
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
        var registry = new ModelRegistry(options.ModelRepository, EngineProviders.Create(ort, NullLoggerFactory.Instance, openVino), batching, defaultEngine: options.DefaultEngine)
        {
            AutoCompleteConfigs = !options.StrictModelConfig,
        };
        try
        {
            await LoadAtStartAsync(registry, options, cancellationToken);
            if (string.Equals(options.ModelControlMode, "poll", StringComparison.OrdinalIgnoreCase))
                registry.StartPolling(TimeSpan.FromSeconds(options.RepositoryPollSeconds));
            return registry;
        }
        catch
        {
            await registry.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Triton's start: every model (none, poll, explicit with --load-model=*), or the
    /// --load-model ones (explicit). With --exit-on-error (Triton's default) a model that fails
    /// stops the start with its reason; without, it is UNAVAILABLE and the others serve.
    /// </summary>
    private static async Task LoadAtStartAsync(ModelRegistry registry, ServerOptions options, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        if (!options.ExplicitModelControl || options.LoadModels is ["*"])
        {
            await registry.LoadAllAsync(cancellationToken);
        }
        else
        {
            foreach (var name in options.LoadModels)
            {
                try
                {
                    await registry.LoadAsync(name, cancellationToken);
                }
                catch (InferenceException e) when (e.Kind != InferenceErrorKind.Unavailable)
                {
                    // Not in the repository or not a model name: nothing was recorded for it.
                    failures.Add(e.Message);
                }
                catch (InferenceException)
                {
                    // Recorded as UNAVAILABLE with its reason (below).
                }
            }
        }
        if (!options.ExitOnError) return;
        failures.AddRange(registry.Index().Where(e => e.State is not ("READY" or "")).Select(e => $"failed to load '{e.Name}': {e.Reason}"));
        if (failures.Count > 0)
        {
            throw new InvalidOperationException($"{string.Join("; ", failures)} (--exit-on-error is on, Triton's default: with --exit-on-error=false the other models serve)");
        }
    }
}
