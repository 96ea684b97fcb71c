using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;

namespace OvStateful.Cli;

/// <summary>Builds the model registry that <c>ovs serve</c> hands to the server.</summary>
internal static class ModelRegistryFactory
{
    /// <summary>
    /// Opens <paramref name="repositoryPath"/> and loads every model its policy selects (engine per
    /// config, batcher per model). A model that fails to load is UNAVAILABLE with its reason in
    /// the repository index; the others serve. <paramref name="observer"/> hears of sequence
    /// starts and ends (the correlation-id manager, so END and idle timeouts end leases).
    /// </summary>
    public static async Task<IModelRegistry> CreateAsync(string repositoryPath, ISequenceLifecycleObserver? observer, CancellationToken cancellationToken)
    {
        var registry = new ModelRegistry(repositoryPath, EngineProviders.Create(), new BatcherOptions { Observer = observer });
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
