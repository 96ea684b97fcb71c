using System.Collections.Concurrent;
using OvStateful.Core.Serving;

namespace OvStateful.Cluster.Node;

/// <summary>
/// This node as its grains, placement and endpoints see it: its own models (the local
/// registry, never the cluster's routing one), its name and addresses, the board of every
/// node's load, whether it drains, and its counters. One per silo.
/// </summary>
public sealed class NodeContext(IModelRegistry models, ClusterSettings settings)
{
    public IModelRegistry Models { get; } = models;
    public ClusterSettings Settings { get; } = settings;
    public LoadBoard Board { get; } = new();

    /// <summary>Set once the silo runs; "" before.</summary>
    public string Name { get; internal set; } = "";
    /// <summary>This silo, as <c>SiloAddress.ToParsableString()</c>; set once the silo runs.</summary>
    public string Silo { get; internal set; } = "";
    /// <summary>KServe v2 HTTP and gRPC base addresses; set once the server listens.</summary>
    public string Http { get; internal set; } = "";
    public string Grpc { get; internal set; } = "";

    private volatile bool _draining;
    /// <summary>Once true, stays true: placement sends no sequence here and the node's own leave.</summary>
    public bool Draining => _draining;
    /// <summary>Placement may give this node a sequence: it hosts sequences and does not drain.</summary>
    public bool TakesSequences => Settings.HostsSequences && !_draining;
    internal void StartDraining() => _draining = true;

    /// <summary>With --cluster-persist, where each sequence's state after its last acknowledged step is kept; null without. Set before the silo starts.</summary>
    internal Grains.ISequenceStore? Store { get; set; }

    /// <summary>Keys of the sequence grains active on this node (added on activation, removed on deactivation).</summary>
    public ConcurrentDictionary<string, byte> Live { get; } = new(StringComparer.Ordinal);

    // Counters since start (Interlocked).
    internal long MigratedIn, MigratedOut, Forwarded, Recovered, Replayed;

    /// <summary>The local ServedModel for <paramref name="name"/> (its batcher hands sequences over), or null.</summary>
    public ServedModel? Local(string name, string? version) =>
        Models.TryGet(name, version, out var m) && m is ServedModel served && served.IsReady ? served : null;

    // Response hints per node name, built once per (name, addresses) seen on the board.
    private readonly ConcurrentDictionary<string, KeyValuePair<string, string>[]> _hints = new(StringComparer.Ordinal);

    /// <summary>Response parameters naming node <paramref name="name"/> and its addresses (ovs_node, ovs_node_http, ovs_node_grpc); null while the board does not know it.</summary>
    public IReadOnlyList<KeyValuePair<string, string>>? Hint(string name)
    {
        if (_hints.TryGetValue(name, out var hint)) return hint;
        var r = name == Name ? new NodeReport { Name = Name, Http = Http, Grpc = Grpc } : Board.FindByName(name);
        if (r is null || r.Http.Length == 0) return null;
        return _hints[name] = [new("ovs_node", r.Name), new("ovs_node_http", r.Http), new("ovs_node_grpc", r.Grpc)];
    }

    public NodeReport Report()
    {
        long used = 0, spilled = 0;
        var served = new List<string>();
        foreach (var e in Models.Index())
        {
            if (e.State != "READY" || !Models.TryGet(e.Name, e.Version, out var m) || m is null || !m.IsReady) continue;
            if (m is ServedModel { Batcher.Settings.IsSequenceModel: true } && !served.Contains(m.Name)) served.Add(m.Name);
            try
            {
                var s = m.GetStatistics();
                used += s.SlotsInUse;
                spilled += s.SpilledSequences;
            }
            catch (ObjectDisposedException)
            {
                // unloaded between the index and the read
            }
        }
        return new NodeReport
        {
            Silo = Silo, Name = Name, Http = Http, Grpc = Grpc, Models = Settings.HostsSequences ? [.. served] : [],
            SlotsUsed = used, Spilled = spilled, Sequences = Live.Count, Draining = Draining,
            MigratedIn = Interlocked.Read(ref MigratedIn), MigratedOut = Interlocked.Read(ref MigratedOut),
            Forwarded = Interlocked.Read(ref Forwarded), Recovered = Interlocked.Read(ref Recovered),
            ReportedAt = DateTime.UtcNow,
        };
    }
}
