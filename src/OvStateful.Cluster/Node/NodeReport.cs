namespace OvStateful.Cluster.Node;

/// <summary>What one node tells the others every report period: where it answers, what it serves and how loaded it is.</summary>
[GenerateSerializer, Immutable]
public sealed record NodeReport
{
    /// <summary>The Orleans silo, as <c>SiloAddress.ToParsableString()</c>.</summary>
    [Id(0)] public string Silo { get; init; } = "";
    [Id(1)] public string Name { get; init; } = "";
    /// <summary>KServe v2 HTTP and gRPC base addresses (http://host:port).</summary>
    [Id(2)] public string Http { get; init; } = "";
    [Id(3)] public string Grpc { get; init; } = "";
    /// <summary>Ready sequence models.</summary>
    [Id(4)] public string[] Models { get; init; } = [];
    /// <summary>Slots in use plus spilled sequences over its models: what placement balances.</summary>
    [Id(5)] public long SlotsUsed { get; init; }
    [Id(6)] public long Spilled { get; init; }
    /// <summary>Sequence grains active on it.</summary>
    [Id(7)] public long Sequences { get; init; }
    /// <summary>Draining: takes no new sequences, hands its own over, exits when empty.</summary>
    [Id(8)] public bool Draining { get; init; }
    [Id(9)] public long MigratedIn { get; init; }
    [Id(10)] public long MigratedOut { get; init; }
    /// <summary>Steps that arrived at this node's fronts and ran on another node.</summary>
    [Id(11)] public long Forwarded { get; init; }
    /// <summary>Sequences brought back on this node from grain storage after their node died.</summary>
    [Id(12)] public long Recovered { get; init; }
    [Id(13)] public DateTime ReportedAt { get; init; }

    public long Load => SlotsUsed + Spilled;
}
