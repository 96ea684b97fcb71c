using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using OvStateful.Cluster;
using OvStateful.Core.Serving;
using OvStateful.Server.Hosting;

namespace OvStateful.Cli.Commands;

/// <summary><c>ovs serve --cluster</c>'s flags, as parsed (the cluster assembly is loaded only once they are used).</summary>
internal sealed record ClusterFlags(string Spec, int? SiloPort, int? GatewayPort, string? NodeName, bool Persist = false, bool Front = false);

/// <summary>
/// ovs serve as a cluster node. Kept apart from <see cref="ServeCommand"/> (and not inlined) so
/// that a node without --cluster never loads OvStateful.Cluster or Orleans.
/// </summary>
internal static class ClusterServing
{
    /// <summary>Null when the flags make sense, else what is wrong.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static string? Check(ClusterFlags flags)
    {
        ClusterSettings.Parse(flags.Spec, out var error);
        return error;
    }

    /// <summary>Joins the cluster and serves until <paramref name="stop"/> (SIGTERM, Ctrl+C) or a drain (POST /v2/cluster/drain) ends; either way the node drains before it exits.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static async Task<int> RunAsync(ClusterFlags flags, IModelRegistry registry, ServerOptions options, Action<ILoggingBuilder> logging,
        ILogger log, TextWriter errors, CancellationToken stop)
    {
        var settings = ClusterSettings.Parse(flags.Spec, out _)! with { NodeName = flags.NodeName, Persist = flags.Persist, HostsSequences = !flags.Front };
        if (flags.SiloPort is { } silo) settings = settings with { SiloPort = silo };
        if (flags.GatewayPort is { } gateway) settings = settings with { GatewayPort = gateway };
        ClusterNode node;
        try
        {
            node = await ClusterNode.StartAsync(settings, registry, options, logging, stop);
        }
        catch (IOException e) when (PortInUse.Describe(e, options) is { } message)
        {
            errors.WriteLine($"ovs serve: {message}");
            return 1;
        }
        await using (node)
        {
            log.LogInformation("serving; Ctrl+C to stop (cluster node {Node}: Ctrl+C, SIGTERM or POST /v2/cluster/drain hands its sequences over first)", node.Node.Name);
            await Task.WhenAny(Task.Delay(Timeout.Infinite, stop), node.Drained).ContinueWith(_ => { }, TaskScheduler.Default);
            log.LogInformation("stopping: handing sequences over, then in-flight requests finish");
            await node.StopAsync();
        }
        return 0;
    }
}
