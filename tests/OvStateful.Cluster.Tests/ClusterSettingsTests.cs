using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using OvStateful.Cluster.Node;
using OvStateful.Core.Serving;

namespace OvStateful.Cluster.Tests;

/// <summary>
/// <c>--cluster</c>'s forms, and what the Kubernetes form wires into the silo: the options a
/// pod's environment sets are read back from the built (never started) silo host, so no
/// Kubernetes API server or Redis is needed.
/// </summary>
public sealed class ClusterSettingsTests
{
    [Theory]
    [InlineData("redis://10.0.0.5:7000", "10.0.0.5:7000", false)]
    [InlineData("redis://cache", "cache:6379", false)]
    [InlineData("redis://", "127.0.0.1:6379", false)]
    [InlineData("kubernetes", "redis:6379", true)]
    [InlineData("Kubernetes+redis://valkey.data:6380", "valkey.data:6380", true)]
    [InlineData("kubernetes+redis://", "redis:6379", true)]
    public void Redis_and_kubernetes_forms_name_their_redis(string spec, string redis, bool kubernetes)
    {
        var settings = ClusterSettings.Parse(spec, out var error);
        Assert.Null(error);
        Assert.Equal(redis, settings!.Redis);
        Assert.Equal(kubernetes, settings.Kubernetes);
    }

    [Theory]
    [InlineData("localhost", 0)]
    [InlineData("localhost:11111", 11111)]
    public void Localhost_form_names_the_primary(string spec, int primary)
    {
        var settings = ClusterSettings.Parse(spec, out _)!;
        Assert.Null(settings.Redis);
        Assert.False(settings.Kubernetes);
        Assert.Equal(primary, settings.PrimarySiloPort);
    }

    [Theory]
    [InlineData("kubernetes://redis:6379")]
    [InlineData("etcd://x:1")]
    [InlineData("localhost:0")]
    public void Other_forms_are_refused_naming_the_ones_expected(string spec)
    {
        Assert.Null(ClusterSettings.Parse(spec, out var error));
        Assert.StartsWith($"--cluster {spec}: expected redis://HOST:PORT", error);
        Assert.Contains("kubernetes[+redis://HOST:PORT]", error);
        Assert.Contains("localhost[:PRIMARY_SILO_PORT]", error);
    }

    [Fact]
    public async Task Kubernetes_hosting_takes_the_pods_name_address_and_cluster_id()
    {
        // What the manifest's downward API sets in a pod (deploy/kubernetes/ovs-cluster.yaml).
        var pod = new Dictionary<string, string>
        {
            ["POD_NAME"] = "ovs-7c9d-x2k4f", ["POD_NAMESPACE"] = "voice", ["POD_IP"] = "10.1.2.3",
            ["ORLEANS_CLUSTER_ID"] = "ovs-blue", ["ORLEANS_SERVICE_ID"] = "ovs",
        };
        foreach (var (k, v) in pod) Environment.SetEnvironmentVariable(k, v);
        try
        {
            var settings = ClusterSettings.Parse("kubernetes", out _)! with { SiloPort = 11111 };
            await using var registry = new ModelRegistry(Path.GetTempPath(), []); // never loaded: the silo is only built
            using var silo = ClusterNode.BuildSilo(settings, new NodeContext(registry, settings), "10.1.2.3", logging: null);
            Assert.Equal("ovs-7c9d-x2k4f", silo.Services.GetRequiredService<IOptions<SiloOptions>>().Value.SiloName);
            var endpoints = silo.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
            Assert.Equal(IPAddress.Parse("10.1.2.3"), endpoints.AdvertisedIPAddress);
            Assert.Equal(new IPEndPoint(IPAddress.Any, 11111), endpoints.SiloListeningEndpoint);
            // Gateway port 0 (ovs nodes need none): no gateway listens.
            Assert.Null(endpoints.GatewayListeningEndpoint);
            var cluster = silo.Services.GetRequiredService<IOptions<ClusterOptions>>().Value;
            Assert.Equal(("ovs-blue", "ovs"), (cluster.ClusterId, cluster.ServiceId));
        }
        finally
        {
            foreach (var k in pod.Keys) Environment.SetEnvironmentVariable(k, null);
        }
    }

    [Fact]
    public async Task Redis_form_keeps_the_host_address_and_its_own_cluster_id()
    {
        var settings = ClusterSettings.Parse("redis://127.0.0.1:6379", out _)! with { SiloPort = 11112 };
        await using var registry = new ModelRegistry(Path.GetTempPath(), []);
        using var silo = ClusterNode.BuildSilo(settings, new NodeContext(registry, settings), "127.0.0.1", logging: null);
        var endpoints = silo.Services.GetRequiredService<IOptions<EndpointOptions>>().Value;
        Assert.Equal(IPAddress.Loopback, endpoints.AdvertisedIPAddress);
        Assert.Equal(11112, endpoints.SiloPort);
        Assert.Equal("ovs", silo.Services.GetRequiredService<IOptions<ClusterOptions>>().Value.ClusterId);
    }
}
