using OvStateful.Cluster.Node;

namespace OvStateful.Cluster.Grains;

/// <summary>The cluster's notice board (one activation, key 0): every node posts its report and reads everyone's.</summary>
public interface IClusterBoardGrain : IGrainWithIntegerKey
{
    /// <summary>Posts <paramref name="report"/> and returns every live node's latest report.</summary>
    Task<NodeReport[]> Post(NodeReport report);

    /// <summary>A node leaving the cluster takes its report down.</summary>
    Task Leave(string silo);
}

/// <summary>
/// Holds reports in memory only: when its node dies it comes back empty on another one and is
/// full again one report period later. A report older than <see cref="Stale"/> is dropped (its node died).
/// </summary>
internal sealed class ClusterBoardGrain : Grain, IClusterBoardGrain
{
    private static readonly TimeSpan Stale = TimeSpan.FromSeconds(5);
    // Invariant: keys equal their value's Silo; at most one report per node.
    private readonly Dictionary<string, NodeReport> _reports = [];

    public Task<NodeReport[]> Post(NodeReport report)
    {
        _reports[report.Silo] = report with { ReportedAt = DateTime.UtcNow };
        var cutoff = DateTime.UtcNow - Stale;
        foreach (var (silo, r) in _reports.ToArray())
        {
            if (r.ReportedAt < cutoff) _reports.Remove(silo);
        }
        return Task.FromResult(_reports.Values.OrderBy(r => r.Name, StringComparer.Ordinal).ToArray());
    }

    public Task Leave(string silo)
    {
        _reports.Remove(silo);
        return Task.CompletedTask;
    }
}
