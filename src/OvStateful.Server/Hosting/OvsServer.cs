using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Server.Http;
using OvStateful.Server.Metrics;
using OvStateful.Server.Sequences;

namespace OvStateful.Server.Hosting;

/// <summary>
/// The inference server: KServe v2 REST on <see cref="ServerOptions.HttpPort"/>, KServe v2
/// gRPC (h2c) on <see cref="ServerOptions.GrpcPort"/>, Prometheus metrics on
/// <see cref="ServerOptions.MetricsPort"/>, all over one <see cref="IModelRegistry"/>. Each
/// port is a Kestrel host of its own, so each has only its own routes and protocols.
/// </summary>
public sealed class OvsServer : IAsyncDisposable
{
    private readonly ServerServices _services;
    // The CPU gauges' previous reading (utilization is measured between scrapes).
    private readonly HostMetrics _host = new();
    private readonly Action<ILoggingBuilder>? _logging;
    /// <summary>The server's own loggers (start-up tables, failed requests), configured like the Kestrel hosts.</summary>
    private readonly ILoggerFactory _loggers;
    private readonly ServerConnections _connections;
    /// <summary>Null until <see cref="StartAsync"/>; the three hosts run together or not at all.</summary>
    private WebApplication? _http, _grpc, _metrics;

    /// <param name="registry">The models to serve; the server never disposes it.</param>
    /// <param name="options">Validated here (ports, limits); the repository folder is the registry's business.</param>
    /// <param name="allocator">Correlation-id allocator for /v2/sequences; when null, a fresh <see cref="CorrelationIdManager"/> (pass the one the batchers observe so END and idle timeouts end leases).</param>
    /// <param name="logging">Logging for the server (start-up tables, failed requests) and its Kestrel hosts; none when null (see <see cref="Logging.ServerLogging.Configure"/>).</param>
    public OvsServer(IModelRegistry registry, ServerOptions options, ICorrelationIdAllocator? allocator = null, Action<ILoggingBuilder>? logging = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(options);
        ServerOptionsValidator.ThrowIfInvalid(options, requireRepository: false);
        _logging = logging;
        _loggers = LoggerFactory.Create(l => _logging?.Invoke(l));
        _services = new ServerServices(registry, allocator ?? new CorrelationIdManagerAllocator(new CorrelationIdManager(CorrelationIdManagerOptions.ForServer(null))), options,
            _loggers.CreateLogger("ovs.requests"));
        _connections = ServerConnections.Create(options, _loggers.CreateLogger("ovs.connections"));
    }

    public ServerOptions Options => _services.Options;

    /// <summary>More HTTP routes beside KServe's (the cluster's /v2/cluster); set before <see cref="StartAsync"/>.</summary>
    public Action<IEndpointRouteBuilder>? MoreHttpEndpoints { get; init; }

    /// <summary>More Prometheus text appended to /metrics (the cluster's gauges); null for none.</summary>
    public Func<string>? MoreMetrics { get; init; }

    /// <summary>Bound ports, known after <see cref="StartAsync"/> (the real ones when 0 was asked).</summary>
    public int HttpPort { get; private set; }
    public int GrpcPort { get; private set; }
    public int MetricsPort { get; private set; }

    /// <summary>The bound addresses, e.g. "http://127.0.0.1:8000", in the order HTTP, gRPC, metrics.</summary>
    public IReadOnlyList<string> Addresses { get; private set; } = [];

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (_http is not null) throw new InvalidOperationException("the server is already started");
        var o = _services.Options;
        // Cleartext REST is HTTP/1.1: Kestrel serves HTTP/2 beside HTTP/1.1 on one port only with
        // TLS (ALPN), and refuses h2c prior knowledge there. gRPC has its own h2c port.
        var http = Build(o.HttpPort, HttpProtocols.Http1, o.MaxRequestBodyBytes, app =>
        {
            app.Use(next => ctx => InferRoute.Handle(ctx, _services, next));
            app.UseRouting();
            HttpEndpoints.Map(app, _services);
            MoreHttpEndpoints?.Invoke(app);
            app.UseEndpoints(_ => { });
            app.Run(ctx => HttpErrors.WriteAsync(ctx, StatusCodes.Status404NotFound, $"no endpoint for {ctx.Request.Method} {ctx.Request.Path}"));
        });
        // Message sizes are Grpc.AspNetCore's to check (a stream carries many messages).
        var grpc = Build(o.GrpcPort, HttpProtocols.Http2, null, GrpcHost.Map, services => GrpcHost.AddServices(services, _services));
        var metrics = Build(o.MetricsPort, HttpProtocols.Http1, 1024, app => app.Run(ServeMetricsAsync));

        var started = new List<WebApplication>();
        try
        {
            foreach (var app in new[] { http, grpc, metrics })
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                started.Add(app);
            }
        }
        catch
        {
            foreach (var app in started) await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            foreach (var app in new[] { http, grpc, metrics }) await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        (_http, _grpc, _metrics) = (http, grpc, metrics);
        (HttpPort, var a1) = BoundPort(http);
        (GrpcPort, var a2) = BoundPort(grpc);
        (MetricsPort, var a3) = BoundPort(metrics);
        Addresses = [a1, a2, a3];
        StartupReport.Log(_loggers.CreateLogger("ovs.server"), o, _services.Registry, Addresses, _connections.Transport.Gate.MaxConnections);
    }

    /// <summary>
    /// Fails every step still queued or waiting in a backlog at once ("the server is shutting
    /// down"; running batches finish), stops accepting connections, lets streams finish the
    /// steps they hold (they take no new ones), waits for in-flight requests up to
    /// ShutdownTimeoutSeconds, then fails what is left. No queued step is left to a reset.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _services.Stopping.CancelAsync().ConfigureAwait(false);
        await _services.Registry.StopServingAsync("the server is shutting down").ConfigureAwait(false);
        var apps = new[] { _http, _grpc, _metrics }.Where(a => a is not null).Cast<WebApplication>().ToArray();
        await Task.WhenAll(apps.Select(a => a.StopAsync(cancellationToken))).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in new[] { _http, _grpc, _metrics })
        {
            if (app is not null) await app.DisposeAsync().ConfigureAwait(false);
        }
        _http = _grpc = _metrics = null;
        _services.Stopping.Dispose();
        _services.SharedMemory.Dispose();
        _loggers.Dispose();
    }

    private WebApplication Build(int port, HttpProtocols protocols, long? maxBody, Action<WebApplication> configure, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddLogging(l => _logging?.Invoke(l));
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton<IHostLifetime, EmbeddedHostLifetime>();
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(_services.Options.ShutdownTimeoutSeconds));
        services?.Invoke(builder.Services);
        builder.WebHost.UseKestrelCore();
        // Registered after Kestrel's own socket transport, so Kestrel binds with this one.
        builder.Services.AddSingleton<IConnectionListenerFactory>(_connections.Transport);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = maxBody;
            _connections.Configure(k);
            Listen(k, _services.Options.Host, port, protocols);
        });
        var app = builder.Build();
        if (app.Services.GetService<IMemoryPoolFactory<byte>>() is { } pool) _connections.Transport.UseMemoryPool(pool);
        configure(app);
        return app;
    }

    private static void Listen(KestrelServerOptions k, string host, int port, HttpProtocols protocols)
    {
        Action<ListenOptions> configure = l => l.Protocols = protocols;
        if (IPAddress.TryParse(host, out var ip)) k.Listen(ip, port, configure);
        else if (host is "*" or "+") k.ListenAnyIP(port, configure);
        else if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            // Kestrel cannot pick a free port for "localhost" (two families); use IPv4 loopback then.
            if (port == 0) k.Listen(IPAddress.Loopback, 0, configure); else k.ListenLocalhost(port, configure);
        }
        else k.Listen(Dns.GetHostAddresses(host).First(), port, configure);
    }

    private static (int Port, string Address) BoundPort(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var first = addresses?.FirstOrDefault() ?? throw new InvalidOperationException("Kestrel reported no bound address");
        return (new Uri(first).Port, first);
    }

    private async Task ServeMetricsAsync(HttpContext ctx)
    {
        if (!HttpMethods.IsGet(ctx.Request.Method) || ctx.Request.Path != "/metrics")
        {
            ctx.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }
        var stats = new List<ModelStatistics>();
        foreach (var m in _services.Resolver.ReadyModels())
        {
            try { stats.Add(m.GetStatistics()); }
            catch (ObjectDisposedException) { /* unloaded between the index and the read: leave it out */ }
        }
        ctx.Response.ContentType = PrometheusText.ContentType;
        await ctx.Response.WriteAsync(PrometheusText.Render(stats, _services.Options.CounterLatencies, _services.Options.SummaryLatencies, _host), ctx.RequestAborted).ConfigureAwait(false);
        if (MoreMetrics is { } more) await ctx.Response.WriteAsync(more(), ctx.RequestAborted).ConfigureAwait(false);
    }
}
