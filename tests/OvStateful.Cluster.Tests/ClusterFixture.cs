using System.Net;
using System.Net.Sockets;
using Grpc.Net.Client;
using OvStateful.Core.Serving;
using OvStateful.OnnxRuntime;
using OvStateful.Server.Hosting;
using OvStateful.Testing;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Cluster.Tests;

/// <summary>
/// Three real ovs nodes in this process (localhost clustering, Orleans silos on free loopback
/// ports), each with its own ONNX Runtime engine on models/accumulate and its own KServe v2
/// HTTP and gRPC fronts; plus a single-node registry for the reference outputs.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public List<ClusterNode> Nodes { get; } = [];
    public List<GrpcChannel> Channels { get; } = [];
    public ModelRegistry Reference { get; private set; } = null!;
    public string Repository { get; private set; } = "";
    private readonly List<ModelRegistry> _registries = [];
    public int PrimarySiloPort { get; private set; }

    public async Task InitializeAsync()
    {
        Repository = Path.Combine(Path.GetTempPath(), "ovs-cluster-" + Guid.NewGuid().ToString("N")[..8]);
        CopyModel(Path.Combine(TestPaths.Models, AccumulateSteps.Model), Path.Combine(Repository, AccumulateSteps.Model));
        Reference = await LoadAsync();
        // One node at a time, each joining a cluster that has settled, so that placement sees
        // every node (node numbers on localhost come from a locked file, LocalNodeNumbers).
        for (var i = 0; i < 3; i++)
        {
            await AddNodeAsync($"n{i}");
            await WaitForBoardAsync(i + 1);
        }
    }

    public async Task<ClusterNode> AddNodeAsync(string name)
    {
        var registry = await LoadAsync();
        _registries.Add(registry);
        var siloPort = FreePort();
        if (PrimarySiloPort == 0) PrimarySiloPort = siloPort;
        var settings = new ClusterSettings
        {
            SiloPort = siloPort,
            PrimarySiloPort = PrimarySiloPort == siloPort ? 0 : PrimarySiloPort,
            NodeName = name,
            ClusterId = "ovs-test",
            ReportPeriod = TimeSpan.FromMilliseconds(200),
        };
        var options = new ServerOptions { Host = "127.0.0.1", HttpPort = 0, GrpcPort = 0, MetricsPort = 0 };
        var node = await ClusterNode.StartAsync(settings, registry, options);
        Nodes.Add(node);
        Channels.Add(GrpcChannel.ForAddress(node.Node.Grpc));
        return node;
    }

    public Proto.GRPCInferenceService.GRPCInferenceServiceClient Client(int node) => new(Channels[node]);

    /// <summary>Every node's board lists <paramref name="count"/> nodes.</summary>
    public async Task WaitForBoardAsync(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Nodes.Any(n => n.Node.Board.All().Length < count))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"the nodes did not all see {count} nodes: {string.Join(", ", Nodes.Select(n => n.Node.Board.All().Length))}");
            await Task.Delay(50);
        }
    }

    private async Task<ModelRegistry> LoadAsync()
    {
        var r = new ModelRegistry(Repository, [new OnnxRuntimeEngineProvider()]);
        await r.LoadAllAsync();
        return r;
    }

    public async Task DisposeAsync()
    {
        foreach (var c in Channels) c.Dispose();
        foreach (var n in Enumerable.Reverse(Nodes))
        {
            try { await n.StopAsync().WaitAsync(TimeSpan.FromSeconds(20)); } catch (Exception) { /* already stopped by a test */ }
            await n.DisposeAsync();
        }
        foreach (var r in _registries) await r.DisposeAsync();
        if (Reference is not null) await Reference.DisposeAsync();
        try { Directory.Delete(Repository, recursive: true); } catch (IOException) { }
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    internal static void CopyModel(string from, string to)
    {
        foreach (var dir in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(dir.Replace(from, to, StringComparison.Ordinal));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories)) File.Copy(file, file.Replace(from, to, StringComparison.Ordinal));
    }
}
