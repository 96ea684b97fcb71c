using System.Runtime.CompilerServices;
using OvStateful.Core.Serving;

namespace OvStateful.Cluster.Routing;

/// <summary>The node's own registry, with each model seen through a <see cref="ClusterServedModel"/> that routes sequence steps to their grains.</summary>
internal sealed class ClusterModelRegistry(IModelRegistry local, SequenceForwarder forwarder) : IModelRegistry
{
    // One wrapper per loaded model object, dropped with it when it is unloaded.
    private readonly ConditionalWeakTable<IServedModel, ClusterServedModel> _wrappers = [];

    public IReadOnlyList<ModelIndexEntry> Index() => local.Index();
    public bool IsReady => local.IsReady;
    public Task LoadAsync(string name, CancellationToken cancellationToken) => local.LoadAsync(name, cancellationToken);
    public Task LoadAsync(string name, ModelLoadParameters parameters, CancellationToken cancellationToken) => local.LoadAsync(name, parameters, cancellationToken);
    public Task UnloadAsync(string name, CancellationToken cancellationToken) => local.UnloadAsync(name, cancellationToken);
    // Server shutdown reaches the node's own batchers (a drain has handed their sequences over first).
    public Task StopServingAsync(string reason) => local.StopServingAsync(reason);

    public bool TryGet(string name, string? version, out IServedModel? model)
    {
        if (!local.TryGet(name, version, out var m) || m is null)
        {
            model = m;
            return false;
        }
        model = _wrappers.GetValue(m, x => new ClusterServedModel(x, forwarder, x is ServedModel { Batcher.Settings.IsSequenceModel: true }));
        return true;
    }
}
