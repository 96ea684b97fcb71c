namespace OvStateful.Cluster.Grains;

/// <summary>Hands each node that starts a number never handed out before (kept in grain storage: Redis in a Redis cluster).</summary>
public interface INodeNumberGrain : IGrainWithIntegerKey
{
    Task<long> Next();
}

[GenerateSerializer]
public sealed class NodeNumbers
{
    /// <summary>The last number handed out (0: none yet).</summary>
    [Id(0)] public long Last { get; set; }
}

internal sealed class NodeNumberGrain([PersistentState("node-numbers", ClusterNode.StorageName)] IPersistentState<NodeNumbers> numbers) : Grain, INodeNumberGrain
{
    public async Task<long> Next()
    {
        numbers.State.Last++;
        await numbers.WriteStateAsync().ConfigureAwait(true);
        return numbers.State.Last;
    }
}
