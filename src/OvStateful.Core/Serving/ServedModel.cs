using System.Diagnostics;
using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;

namespace OvStateful.Core.Serving;

/// <summary>
/// A loaded model version: its config, one engine per instance and the
/// <see cref="SequenceBatcher"/> over them. Sequence models are served with Triton's
/// sequence batcher semantics; models without sequence_batching run each request as its
/// own batch-of-one step (no sequence id needed). Owns the engines.
/// </summary>
public sealed class ServedModel : IServedModel, IAsyncDisposable
{
    private readonly IReadOnlyList<IStatefulEngine> _engines;
    private int _disposed;
    // 1 once an unload began: the model is not ready (front ends refuse new requests) while its queue drains.
    private int _draining;

    /// <summary>Wraps engines already loaded (one per instance, slot counts per <see cref="SequenceBatcherSettings.SlotsForInstance"/>).</summary>
    public ServedModel(ModelConfig config, string version, IReadOnlyList<IStatefulEngine> engines, BatcherOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(engines);
        if (engines.Count == 0) throw new ArgumentException($"model '{config.Name}': at least one engine is needed", nameof(engines));
        Config = config;
        Version = version;
        _engines = engines;
        var settings = SequenceBatcherSettings.FromConfig(config, version) with { InstanceCount = engines.Count };
        Batcher = new SequenceBatcher(settings, engines, options);
    }

    /// <summary>
    /// Loads one engine per instance of the config's instance_group through
    /// <paramref name="provider"/> and serves them. Exception-safe: engines loaded before a
    /// failure are disposed.
    /// </summary>
    public static ServedModel Load(IEngineProvider provider, ModelConfig config, string version, string versionDirectory, string modelFile,
        BatcherOptions? options = null, string? device = null)
    {
        ArgumentNullException.ThrowIfNull(provider);
        ArgumentNullException.ThrowIfNull(config);
        var settings = SequenceBatcherSettings.FromConfig(config, version);
        var engines = new List<IStatefulEngine>(settings.InstanceCount);
        try
        {
            for (var i = 0; i < settings.InstanceCount; i++)
            {
                engines.Add(provider.Load(new EngineLoadContext(config, versionDirectory, modelFile, settings.SlotsForInstance(i), i, device)));
            }
            return new ServedModel(config, version, engines, options);
        }
        catch
        {
            foreach (var e in engines) e.Dispose();
            throw;
        }
    }

    public SequenceBatcher Batcher { get; }
    public string Name => Config.Name;
    public string Version { get; }
    public ModelConfig Config { get; }
    public string EngineName => _engines[0].EngineName;
    public IReadOnlyList<TensorSpec> Inputs => Batcher.Inputs;
    public IReadOnlyList<TensorSpec> Outputs => Batcher.Outputs;
    public bool IsReady => Volatile.Read(ref _disposed) == 0 && Volatile.Read(ref _draining) == 0 && !Batcher.Stopping;

    /// <summary>
    /// Unloads gracefully: not ready from now on, the steps already queued run (for at most
    /// <paramref name="timeout"/>; those still queued then fail), then the batcher and engines stop.
    /// </summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        Volatile.Write(ref _draining, 1);
        var until = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Batcher.PendingSteps > 0 && Stopwatch.GetTimestamp() < until) await Task.Delay(5).ConfigureAwait(false);
        await DisposeAsync().ConfigureAwait(false);
    }

    public ValueTask<InferenceResponse> InferAsync(InferenceRequest request, CancellationToken cancellationToken) =>
        Batcher.InferAsync(request, cancellationToken);

    public ModelStatistics GetStatistics() => Batcher.GetStatistics();

    public IReadOnlyList<EngineDescription> Instances => _engines.Select(e => e.Description).ToList();

    /// <summary>Stops the batcher (queued steps fail with Unavailable, running batches finish), then disposes the engines.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await Batcher.StopAsync().ConfigureAwait(false);
        foreach (var e in _engines) e.Dispose();
    }
}
