namespace OvStateful.Cluster.Node;

/// <summary>
/// This node's copy of every node's last report, refreshed each report period, and what this
/// node placed since (so a burst of new sequences spreads instead of all going to the node that
/// was least loaded at the last report). Thread-safe: one short lock.
/// </summary>
public sealed class LoadBoard
{
    private readonly Lock _lock = new();
    // Under _lock. Invariant: keys equal their value's Silo.
    private Dictionary<string, NodeReport> _reports = [];
    // Under _lock: sequences this node placed on each silo since its last report arrived.
    private readonly Dictionary<string, long> _placedSince = [];

    public NodeReport[] All()
    {
        lock (_lock) return [.. _reports.Values.OrderBy(r => r.Name, StringComparer.Ordinal)];
    }

    public void Update(IEnumerable<NodeReport> reports)
    {
        lock (_lock)
        {
            var fresh = reports.ToDictionary(r => r.Silo, StringComparer.Ordinal);
            foreach (var (silo, r) in fresh)
            {
                if (!_reports.TryGetValue(silo, out var old) || old.ReportedAt != r.ReportedAt) _placedSince.Remove(silo);
            }
            _reports = fresh;
        }
    }

    /// <summary>
    /// The least loaded of <paramref name="candidates"/> that serves <paramref name="model"/> and is
    /// not draining; null when no report names one (the caller falls back).
    /// </summary>
    public string? Choose(IReadOnlyList<string> candidates, string model)
    {
        lock (_lock)
        {
            string? best = null;
            var bestLoad = long.MaxValue;
            foreach (var silo in candidates)
            {
                if (!_reports.TryGetValue(silo, out var r) || r.Draining || Array.IndexOf(r.Models, model) < 0) continue;
                var load = r.Load + _placedSince.GetValueOrDefault(silo);
                if (load < bestLoad || (load == bestLoad && string.CompareOrdinal(silo, best) < 0))
                {
                    best = silo;
                    bestLoad = load;
                }
            }
            if (best is not null) _placedSince[best] = _placedSince.GetValueOrDefault(best) + 1;
            return best;
        }
    }

    /// <summary>True when the node's last report says it drains (or it is not known).</summary>
    public bool IsDraining(string silo)
    {
        lock (_lock) return _reports.TryGetValue(silo, out var r) && r.Draining;
    }

    public NodeReport? FindByName(string name)
    {
        lock (_lock) return _reports.Values.FirstOrDefault(r => r.Name == name);
    }
}
