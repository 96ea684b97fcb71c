using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using OvStateful.Cluster.Grains;
using OvStateful.Cluster.Node;
using OvStateful.Cluster.Placement;
using OvStateful.Cluster.Routing;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Server.Hosting;
using OvStateful.Server.Sequences;
using StackExchange.Redis;

namespace OvStateful.Cluster;

/// <summary>
/// One ovs node of a cluster: an Orleans silo whose sequence grains run on this node's own
/// models, and the usual KServe v2 server whose fronts route each sequence step to its grain.
/// Started by <see cref="StartAsync"/>; <see cref="DrainAsync"/> (POST /v2/cluster/drain,
/// SIGTERM) hands every sequence over and completes <see cref="Drained"/>; <see cref="StopAsync"/>
/// drains, stops the fronts, then leaves the cluster.
/// </summary>
public sealed class ClusterNode : IAsyncDisposable
{
    /// <summary>The grain storage provider's name (memory on localhost, Redis with redis://).</summary>
    internal const string StorageName = "ovs";

    private readonly IHost _silo;
    private readonly IGrainFactory _grains;
    private readonly ILogger _log;
    private OvsServer? _server;
    private readonly CancellationTokenSource _stopReporting = new();
    private Task _reporting = Task.CompletedTask;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Set once, by the first DrainAsync.
    private Task? _drain;
    private readonly Lock _drainLock = new();

    private ClusterNode(IHost silo, NodeContext node, ILogger log)
    {
        _silo = silo;
        Node = node;
        _grains = silo.Services.GetRequiredService<IGrainFactory>();
        _log = log;
    }

    public NodeContext Node { get; }
    public OvsServer Server => _server ?? throw new InvalidOperationException("the node is not started");
    /// <summary>Completes when a drain has handed every sequence over (or gave up after its timeout).</summary>
    public Task Drained => _drained.Task;

    /// <summary>Joins the cluster, then serves <paramref name="local"/> on <paramref name="options"/>' ports. Exception-safe: a failure leaves the cluster again.</summary>
    public static async Task<ClusterNode> StartAsync(ClusterSettings settings, IModelRegistry local, ServerOptions options,
        Action<ILoggingBuilder>? logging = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(options);
        var node = new NodeContext(local, settings);
        var silo = BuildSilo(settings, node, options.Host, logging);
        ClusterNode? started = null;
        try
        {
            // Ids as the silo resolved them (in a pod, Kubernetes hosting sets them).
            var cluster = silo.Services.GetRequiredService<IOptions<ClusterOptions>>().Value;
            if (settings.Persist)
            {
                // Before the silo starts: a grain may activate here as soon as it has joined.
                node.Store = settings.Redis is { } redis
                    ? await RedisSequenceStore.ConnectAsync(redis, cluster.ServiceId, silo.Services.GetRequiredService<Orleans.Serialization.Serializer>()).ConfigureAwait(false)
                    : new MemorySequenceStore(cluster.ServiceId);
            }
            await silo.StartAsync(cancellationToken).ConfigureAwait(false);
            var details = silo.Services.GetRequiredService<ILocalSiloDetails>();
            node.Silo = details.SiloAddress.ToParsableString();
            // In a pod the silo's name is the pod's (Kubernetes hosting sets it); elsewhere host:silo port.
            node.Name = settings.NodeName ?? (settings.Kubernetes ? details.Name : details.SiloAddress.Endpoint.ToString());
            var log = silo.Services.GetRequiredService<ILoggerFactory>().CreateLogger("ovs.cluster");
            started = new ClusterNode(silo, node, log);
            // Ids this node hands out start at its cluster-unique number << 40: no two nodes (nor a
            // restarted one: Redis, or on one host a file, keeps the numbers) ever hand out the same id.
            var number = settings.Redis is null
                ? LocalNodeNumbers.Next(cluster.ClusterId)
                : await started._grains.GetGrain<INodeNumberGrain>(0).Next().ConfigureAwait(false);
            var ids = new CorrelationIdManager(new CorrelationIdManagerOptions { FirstId = ((ulong)number << 40) | 1 });
            var forwarder = new SequenceForwarder(started._grains, node);
            var node1 = started;
            var server = new OvsServer(new ClusterModelRegistry(local, forwarder), options, new CorrelationIdManagerAllocator(ids), logging)
            {
                MoreHttpEndpoints = routes => ClusterEndpoints.Map(routes, node1),
                MoreMetrics = node1.MetricsText,
            };
            started._server = server;
            await server.StartAsync(cancellationToken).ConfigureAwait(false);
            node.Http = server.Addresses[0];
            node.Grpc = server.Addresses[1];
            await started.ReportOnceAsync().ConfigureAwait(false);
            started._reporting = started.ReportLoopAsync(started._stopReporting.Token);
            log.LogInformation("node {Node} joined cluster {Cluster} ({Mode}); HTTP {Http}, gRPC {Grpc}, node number {Number}",
                node.Name, cluster.ClusterId,
                settings.Redis is null ? "localhost" : (settings.Kubernetes ? "kubernetes+redis://" : "redis://") + settings.Redis, node.Http, node.Grpc, number);
            return started;
        }
        catch
        {
            if (started?._server is { } s) await s.DisposeAsync().ConfigureAwait(false);
            await silo.StopAsync(CancellationToken.None).ConfigureAwait(false);
            silo.Dispose();
            if (node.Store is { } store) await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The node's Orleans silo host, built (not started): clustering, grain directory and storage as <paramref name="settings"/> say.</summary>
    internal static IHost BuildSilo(ClusterSettings settings, NodeContext node, string host, Action<ILoggingBuilder>? logging)
    {
        var address = IPAddress.TryParse(host, out var ip) && !ip.Equals(IPAddress.Any) ? ip : IPAddress.Loopback;
        return new HostBuilder()
            .ConfigureLogging(l =>
            {
                logging?.Invoke(l);
                // Orleans says a lot at Information; the node's own lines are under ovs.cluster.
                l.AddFilter("Orleans", LogLevel.Warning);
                l.AddFilter("Microsoft", LogLevel.Warning);
            })
            .ConfigureServices(s =>
            {
                s.AddSingleton(node);
                s.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
            })
            .UseOrleans(silo =>
            {
                silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (settings.ClusterId, settings.ClusterId));
                if (settings.Redis is { } redis)
                {
                    var redisOptions = ConfigurationOptions.Parse(redis);
                    silo.UseRedisClustering(o => o.ConfigurationOptions = redisOptions);
                    silo.UseRedisGrainDirectoryAsDefault(o => o.ConfigurationOptions = redisOptions);
                    // Orleans' own binary serializer (the surrogates above), not the JSON default: a state's bytes must come back bit-exact.
                    silo.AddRedisGrainStorage(StorageName, (OptionsBuilder<Orleans.Persistence.RedisStorageOptions> b) => b.Configure<IServiceProvider>((o, services) =>
                    {
                        o.ConfigurationOptions = redisOptions;
                        o.DeleteStateOnClear = true;
                        o.GrainStorageSerializer = new Orleans.Storage.OrleansGrainStorageSerializer(services.GetRequiredService<Orleans.Serialization.Serializer>());
                    }));
                    if (settings.Kubernetes)
                    {
                        // The pod's name, IP and cluster labels (the manifest's downward API) instead of --host and
                        // --cluster-id; registered after ours, so ORLEANS_CLUSTER_ID / ORLEANS_SERVICE_ID win where set.
                        // POD_IP set by us: Orleans's own default (the host's first address) would otherwise come first.
                        silo.Configure<EndpointOptions>(o =>
                        {
                            (o.SiloPort, o.GatewayPort) = (settings.SiloPort, settings.GatewayPort);
                            if (IPAddress.TryParse(Environment.GetEnvironmentVariable("POD_IP"), out var pod)) o.AdvertisedIPAddress = pod;
                        });
                        silo.UseKubernetesHosting();
                    }
                    else
                    {
                        silo.ConfigureEndpoints(address, settings.SiloPort, settings.GatewayPort, listenOnAnyHostAddress: IPAddress.Any.ToString() == host);
                    }
                }
                else
                {
                    var primary = new IPEndPoint(IPAddress.Loopback, settings.PrimarySiloPort == 0 ? settings.SiloPort : settings.PrimarySiloPort);
                    silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort, primary, settings.ClusterId, settings.ClusterId);
                    silo.AddMemoryGrainStorage(StorageName);
                }
                silo.Configure<ClusterMembershipOptions>(o =>
                {
                    // A killed node is declared dead within a few seconds, so its sequences move on quickly.
                    o.ProbeTimeout = TimeSpan.FromSeconds(1);
                    o.NumMissedProbesLimit = settings.MissedProbesLimit;
                    o.TableRefreshTimeout = TimeSpan.FromSeconds(2);
                    o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
                });
                silo.Services.AddPlacementDirector<LeastLoadedPlacement, LeastLoadedPlacementDirector>();
            })
            .Build();
    }

    /// <summary>
    /// Takes no new sequences, then hands every live one over (in-flight steps finish first; a
    /// grain is not reentrant) until none is left or the drain timeout passes. Idempotent.
    /// </summary>
    public Task DrainAsync()
    {
        lock (_drainLock) return _drain ??= RunDrainAsync();
    }

    private async Task RunDrainAsync()
    {
        Node.StartDraining();
        var started = DateTime.UtcNow;
        _log.LogInformation("node {Node} draining: {Count} sequences to hand over", Node.Name, Node.Live.Count);
        try
        {
            await ReportOnceAsync().ConfigureAwait(false);
            var deadline = started + Node.Settings.DrainTimeout;
            using var parallel = new SemaphoreSlim(64);
            while (!Node.Live.IsEmpty && DateTime.UtcNow < deadline)
            {
                var round = Node.Live.Keys.Select(async key =>
                {
                    await parallel.WaitAsync().ConfigureAwait(false);
                    try { await _grains.GetGrain<ISequenceGrain>(key).HandOver().ConfigureAwait(false); }
                    catch (Exception e) { _log.LogWarning("hand-over of {Key} failed: {Message}", key, e.Message); }
                    finally { parallel.Release(); }
                }).ToArray();
                await Task.WhenAll(round).ConfigureAwait(false);
                await Task.Delay(50).ConfigureAwait(false);
            }
            if (Node.Live.IsEmpty) _log.LogInformation("node {Node} drained in {Ms:0} ms ({Out} sequences handed over)", Node.Name, (DateTime.UtcNow - started).TotalMilliseconds, Interlocked.Read(ref Node.MigratedOut));
            else _log.LogWarning("node {Node}: {Count} sequences were still here when the drain timeout passed", Node.Name, Node.Live.Count);
        }
        finally
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>Drains, stops the fronts (in-flight requests finish), then leaves the cluster.</summary>
    public async Task StopAsync()
    {
        await DrainAsync().ConfigureAwait(false);
        if (_server is { } server) await server.StopAsync().ConfigureAwait(false);
        await _stopReporting.CancelAsync().ConfigureAwait(false);
        try { await _reporting.ConfigureAwait(false); } catch (OperationCanceledException) { }
        try { await _grains.GetGrain<IClusterBoardGrain>(0).Leave(Node.Silo).WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); }
        catch (Exception e) when (e is not OutOfMemoryException) { /* the board forgets a silent node after a few seconds anyway */ }
        await _silo.StopAsync(CancellationToken.None).ConfigureAwait(false);
        if (Node.Store is { } store) await store.DisposeAsync().ConfigureAwait(false);
        Node.Store = null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is { } server) await server.DisposeAsync().ConfigureAwait(false);
        _silo.Dispose();
        _stopReporting.Dispose();
        if (Node.Store is { } store) await store.DisposeAsync().ConfigureAwait(false);
        Node.Store = null;
    }

    private async Task ReportOnceAsync()
    {
        var all = await _grains.GetGrain<IClusterBoardGrain>(0).Post(Node.Report()).ConfigureAwait(false);
        Node.Board.Update(all);
    }

    private async Task ReportLoopAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(Node.Settings.ReportPeriod);
        while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
        {
            try { await ReportOnceAsync().ConfigureAwait(false); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The board's node may be dying; the next period tries again (it reactivates elsewhere).
                _log.LogDebug("load report failed: {Message}", e.Message);
            }
        }
    }

    /// <summary>Prometheus gauges of this node (appended to /metrics).</summary>
    internal string MetricsText()
    {
        var r = Node.Report();
        var n = Node.Name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
        var sb = new StringBuilder();
        void Gauge(string name, string help, long value, string type = "gauge")
        {
            sb.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            sb.Append(name).Append("{node=\"").Append(n).Append("\"} ").Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        Gauge("ovs_cluster_slots_used", "Slots in use over this node's sequence models", r.SlotsUsed);
        Gauge("ovs_cluster_spilled", "Spilled sequences on this node", r.Spilled);
        Gauge("ovs_cluster_sequences", "Sequence grains active on this node", r.Sequences);
        Gauge("ovs_cluster_draining", "1 while this node drains", r.Draining ? 1 : 0);
        Gauge("ovs_cluster_migrated_in_total", "Sequences handed over to this node", r.MigratedIn, "counter");
        Gauge("ovs_cluster_migrated_out_total", "Sequences this node handed over", r.MigratedOut, "counter");
        Gauge("ovs_cluster_forwarded_steps_total", "Steps that arrived here and ran on another node", r.Forwarded, "counter");
        if (Node.Store is { } store)
        {
            var (written, batches) = store.Counts;
            Gauge("ovs_cluster_persisted_steps_total", "Sequence states written to the store (--cluster-persist), one per acknowledged step", written, "counter");
            Gauge("ovs_cluster_persist_batches_total", "Store round trips those writes took (group commit: steps waiting at once go together)", batches, "counter");
        }
        return sb.ToString();
    }
}
