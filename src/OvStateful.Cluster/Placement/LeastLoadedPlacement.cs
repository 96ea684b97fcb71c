using OvStateful.Cluster.Grains;
using OvStateful.Cluster.Node;
using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace OvStateful.Cluster.Placement;

/// <summary>A new (or migrating) sequence goes to the least loaded node that serves its model and is not draining.</summary>
[GenerateSerializer, Immutable]
public sealed class LeastLoadedPlacement : PlacementStrategy
{
    internal static readonly LeastLoadedPlacement Instance = new();
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class LeastLoadedPlacementAttribute() : PlacementAttribute(LeastLoadedPlacement.Instance);

/// <summary>
/// Reads this node's copy of the load board (slots in use + spilled, as each node reports it).
/// When no report names a node for the model yet (the first period after start), this node
/// takes the sequence unless it drains or is front-only; such a node sends it to any other compatible node.
/// </summary>
internal sealed class LeastLoadedPlacementDirector(NodeContext node) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var compatible = context.GetCompatibleSilos(target);
        var names = compatible.Select(s => s.ToParsableString()).ToArray();
        var model = SequenceKey.ModelOf(target.GrainIdentity.Key.ToString()!);
        if (node.Board.Choose(names, model) is { } chosen)
        {
            var i = Array.IndexOf(names, chosen);
            return Task.FromResult(compatible[i]);
        }
        var local = context.LocalSilo;
        if (node.TakesSequences && compatible.Contains(local)) return Task.FromResult(local);
        var others = compatible.Where(s => !s.Equals(local) && !node.Board.IsDraining(s.ToParsableString())).ToArray();
        if (others.Length == 0) others = compatible.ToArray();
        return Task.FromResult(others[Random.Shared.Next(others.Length)]);
    }
}
