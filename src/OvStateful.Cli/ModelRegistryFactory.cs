using OvStateful.Core.Serving;

namespace OvStateful.Cli;

/// <summary>Builds the model registry that <c>ovs serve</c> hands to the server.</summary>
internal static class ModelRegistryFactory
{
    /// <summary>
    /// Opens <paramref name="repositoryPath"/>, loads every model its policy selects (engine per
    /// config, batcher per model) and returns the registry. Errors name the model at fault.
    /// </summary>
    public static Task<IModelRegistry> CreateAsync(string repositoryPath, CancellationToken cancellationToken)
    {
        // TODO(lead): build the registry over Core.Repository.ModelRepository + EngineProviders.Create()
        // + the sequence batcher once they are on main; the server needs only IModelRegistry.
        _ = repositoryPath;
        _ = cancellationToken;
        throw new NotSupportedException("the model registry is not built yet (ModelRegistryFactory.CreateAsync)");
    }
}
