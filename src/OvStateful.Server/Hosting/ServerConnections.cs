using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using OvStateful.Server.Interop;

namespace OvStateful.Server.Hosting;

/// <summary>
/// What keeps the server alive under its clients: one connection cap over all endpoints
/// (<see cref="ConnectionGate"/>, asked by the accept loop), an accept loop that survives
/// descriptor exhaustion (<see cref="GuardedSocketTransport"/>), and Kestrel's stream limit and timeouts from
/// <see cref="ServerOptions"/>. One per server, shared by its three Kestrel hosts.
/// </summary>
internal sealed class ServerConnections
{
    private readonly ServerOptions _options;

    private ServerConnections(ServerOptions options, GuardedSocketTransport transport)
    {
        _options = options;
        Transport = transport;
    }

    public GuardedSocketTransport Transport { get; }

    /// <summary>Raises the open-file limit to its hard limit and sizes the connection cap (MaxConnections, or derived from that limit).</summary>
    public static ServerConnections Create(ServerOptions options, ILogger logger)
    {
        if (OpenFileLimit.RaiseToHardLimit() is { } raised)
            logger.LogInformation("raised the open-file limit from {Old} to {New}", raised.Old, raised.New);
        var limit = OpenFileLimit.Current();
        var allowed = FromFileLimit(limit);
        var max = options.MaxConnections > 0 ? Math.Min(options.MaxConnections, allowed) : allowed;
        // A full descriptor table is fatal to the runtime (it aborts when it cannot open an
        // assembly or start a thread), so connections are never let near it.
        if (options.MaxConnections > max)
            logger.LogWarning("MaxConnections={Asked} is more than the open-file limit of {Limit} leaves room for; the server takes at most {Max}", options.MaxConnections, limit, max);
        return new ServerConnections(options, new GuardedSocketTransport(new ConnectionGate(max, logger), options, logger));
    }

    /// <summary>
    /// The descriptor limit minus what the rest of the process needs: an idle `ovs serve`
    /// holds about 180 (assemblies, the runtime's pipes, listeners), and threads the runtime
    /// starts need some too (at none left it aborts), so an eighth of the limit and at least
    /// 256 stay free; 100,000 where the limit is unknown.
    /// </summary>
    internal static int FromFileLimit(long? limit)
    {
        if (limit is not { } l || l <= 0) return 100_000;
        var reserve = Math.Max(256, l / 8);
        return (int)Math.Clamp(l - reserve, 16, 1_000_000);
    }

    /// <summary>Kestrel limits of every host: streams per connection and the timeouts.</summary>
    public void Configure(KestrelServerOptions kestrel)
    {
        var o = _options;
        kestrel.Limits.MaxConcurrentConnections = null; // the gate counts over all hosts
        kestrel.Limits.Http2.MaxStreamsPerConnection = o.MaxStreamsPerConnection;
        // For HTTP/2, Kestrel's keep-alive timeout also bounds the wait for the connection preface.
        kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(o.IdleTimeoutSeconds);
        kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(o.RequestHeadersTimeoutSeconds);
        kestrel.Limits.Http2.KeepAlivePingDelay = o.KeepAlivePingSeconds > 0 ? TimeSpan.FromSeconds(Math.Max(1, o.KeepAlivePingSeconds)) : TimeSpan.MaxValue;
        kestrel.Limits.Http2.KeepAlivePingTimeout = TimeSpan.FromSeconds(o.KeepAlivePingTimeoutSeconds);
    }
}
