using System.Globalization;

namespace OvStateful.Cluster;

/// <summary>How a node joins its cluster: <c>--cluster localhost[:PRIMARY_SILO_PORT]</c>, <c>--cluster redis://HOST:PORT</c> or <c>--cluster kubernetes[+redis://HOST:PORT]</c>.</summary>
public sealed record ClusterSettings
{
    /// <summary>Redis of <c>--cluster kubernetes</c> without an address: the manifest's Service (deploy/kubernetes/ovs-cluster.yaml).</summary>
    public const string KubernetesRedis = "redis:6379";

    /// <summary>Null for development clustering on one host (a primary silo, no Redis); else Redis's "host:port" for membership, the grain directory and grain storage.</summary>
    public string? Redis { get; init; }
    /// <summary>
    /// Orleans's Kubernetes hosting (with Redis, which Kubernetes hosting does not replace): the silo
    /// takes its name from POD_NAME, advertises POD_IP and listens on every address, takes ClusterId
    /// and ServiceId from ORLEANS_CLUSTER_ID / ORLEANS_SERVICE_ID, and silos whose pod is gone are
    /// declared dead. Implies <see cref="Redis"/> is set.
    /// </summary>
    public bool Kubernetes { get; init; }
    /// <summary>Localhost clustering: the silo port of the primary node (the first one started); 0 = this node is the primary.</summary>
    public int PrimarySiloPort { get; init; }
    /// <summary>Orleans silo-to-silo port (0 = a free one).</summary>
    public int SiloPort { get; init; } = 11111;
    /// <summary>Orleans client gateway port; 0 = no gateway (ovs nodes need none: clients use HTTP/gRPC).</summary>
    public int GatewayPort { get; init; }
    /// <summary>Orleans ClusterId and ServiceId: nodes with the same one form one cluster (Redis keys are prefixed by it).</summary>
    public string ClusterId { get; init; } = "ovs";
    /// <summary>This node's name in /v2/cluster, errors and response hints; default host:silo port.</summary>
    public string? NodeName { get; init; }
    /// <summary>
    /// Write each sequence's state to grain storage (Redis) with every acknowledged step, so a
    /// killed node's sequences come back on the survivors. Off: a killed node's sequences fail
    /// their next step with an error naming the sequence, the node and the last step kept.
    /// </summary>
    public bool Persist { get; init; }
    /// <summary>False: a front-only node (a gateway): it answers HTTP/gRPC and forwards every sequence step, but placement never gives it a sequence.</summary>
    public bool HostsSequences { get; init; } = true;
    /// <summary>How long a drain waits for the node's sequences to move before it gives up and exits.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>How often a node reports its load to the others (placement reads it).</summary>
    public TimeSpan ReportPeriod { get; init; } = TimeSpan.FromMilliseconds(500);
    /// <summary>Orleans failure detection: a silo missing this many probes (1 s each) is declared dead.</summary>
    public int MissedProbesLimit { get; init; } = 2;

    /// <summary>Parses the <c>--cluster</c> value; null with <paramref name="error"/> set when it is neither form.</summary>
    public static ClusterSettings? Parse(string spec, out string? error)
    {
        error = null;
        if (spec.StartsWith("redis://", StringComparison.OrdinalIgnoreCase)) return new ClusterSettings { Redis = RedisAddress(spec["redis://".Length..], "127.0.0.1") };
        if (spec.Equals("kubernetes", StringComparison.OrdinalIgnoreCase)) return new ClusterSettings { Redis = KubernetesRedis, Kubernetes = true };
        if (spec.StartsWith("kubernetes+redis://", StringComparison.OrdinalIgnoreCase))
            return new ClusterSettings { Redis = RedisAddress(spec["kubernetes+redis://".Length..], "redis"), Kubernetes = true };
        if (spec.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return new ClusterSettings();
        if (spec.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase)
            && int.TryParse(spec["localhost:".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var primary) && primary is > 0 and < 65536)
            return new ClusterSettings { PrimarySiloPort = primary };
        error = $"--cluster {spec}: expected redis://HOST:PORT (Redis membership and grain directory), kubernetes[+redis://HOST:PORT] (in a Kubernetes pod, Redis at {KubernetesRedis} by default) or localhost[:PRIMARY_SILO_PORT] (development, one host)";
        return null;
    }

    /// <summary>"host:port" from what follows redis://; a missing host is <paramref name="defaultHost"/>, a missing port 6379.</summary>
    private static string RedisAddress(string hostPort, string defaultHost)
    {
        hostPort = hostPort.TrimEnd('/');
        return hostPort.Length == 0 ? defaultHost + ":6379" : hostPort.Contains(':') ? hostPort : hostPort + ":6379";
    }
}
