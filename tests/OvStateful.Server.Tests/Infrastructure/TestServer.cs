using Microsoft.Extensions.Logging;
using OvStateful.Core.Serving;
using OvStateful.Server.Hosting;
using OvStateful.Server.Sequences;
using OvStateful.Server.Tests.TestDoubles;

namespace OvStateful.Server.Tests.Infrastructure;

/// <summary>A real <see cref="OvsServer"/> on loopback with free ports, and clients for its three ports.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private TestServer(OvsServer server, IModelRegistry registry)
    {
        Server = server;
        Registry = registry;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.HttpPort}") };
        Metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.MetricsPort}") };
        Grpc = new GrpcTestClient(new Uri($"http://127.0.0.1:{server.GrpcPort}"));
    }

    public OvsServer Server { get; }
    public IModelRegistry Registry { get; }
    public HttpClient Http { get; }
    public HttpClient Metrics { get; }
    public GrpcTestClient Grpc { get; }

    public static async Task<TestServer> StartAsync(IModelRegistry? registry = null, Action<ServerOptions>? configure = null, ICorrelationIdAllocator? allocator = null)
    {
        registry ??= new TestModelRegistry(new AccumulatorTestModel(), new AccumulatorTestModel("accumulate_str", stringIds: true), new EchoTestModel());
        // Explicit model control, so tests may load and unload; tests of the other modes set theirs.
        var options = new ServerOptions { HttpPort = 0, GrpcPort = 0, MetricsPort = 0, ShutdownTimeoutSeconds = 5, ModelControlMode = "explicit" };
        configure?.Invoke(options);
        var server = new OvsServer(registry, options, allocator, logging: Environment.GetEnvironmentVariable("OVS_TEST_LOG") is { Length: > 0 } log
            ? l => { l.AddProvider(new FileLoggerProvider(log)); l.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Debug); }
            : null);
        await server.StartAsync();
        return new TestServer(server, registry);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Metrics.Dispose();
        Grpc.Dispose();
        await Server.StopAsync();
        await Server.DisposeAsync();
    }
}
