using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OvStateful.Core.Serving;
using OvStateful.Server.Protocol;
using OvStateful.Server.Sequences;
using OvStateful.Server.SharedMemory;

namespace OvStateful.Server.Hosting;

/// <summary>What every endpoint of one server shares: the registry and its helpers, settings and the stop signal.</summary>
internal sealed class ServerServices
{
    public ServerServices(IModelRegistry registry, ICorrelationIdAllocator allocator, ServerOptions options, ILogger? requests = null)
    {
        Registry = registry;
        Resolver = new ModelResolver(registry);
        Invoker = new InferenceInvoker(Resolver, requests ?? NullLogger.Instance);
        Allocator = allocator;
        Options = options;
    }

    public IModelRegistry Registry { get; }
    public ModelResolver Resolver { get; }
    public InferenceInvoker Invoker { get; }
    public ICorrelationIdAllocator Allocator { get; }
    public ServerOptions Options { get; }

    /// <summary>Registered shared-memory regions (Triton's system shared-memory extension), shared by HTTP and gRPC.</summary>
    public SharedMemoryRegistry SharedMemory { get; } = new();

    /// <summary>
    /// /v2/health/ready, gRPC ServerReady and grpc.health's "": with strict readiness (Triton's
    /// default), every model the registry loaded or tried to is ready; without, the server is
    /// ready once it serves.
    /// </summary>
    public bool IsReady => !Options.StrictReadiness || Registry.IsReady;

    /// <summary>Why the server is not ready: the models that are not, with their states and reasons.</summary>
    public string NotReadyReason()
    {
        var notReady = Registry.Index().Where(e => e.State.Length > 0 && e.State != "READY")
            .Select(e => $"'{e.Name}'{(e.Version.Length > 0 ? $" version {e.Version}" : "")} is {e.State}{(e.Reason.Length > 0 ? $" ({e.Reason})" : "")}")
            .ToList();
        return notReady.Count == 0
            ? "server is not ready: a model is loading"
            : $"server is not ready (strict readiness): {string.Join("; ", notReady)}";
    }

    /// <summary>Cancelled when shutdown begins: streams stop taking new requests, in-flight ones finish.</summary>
    public CancellationTokenSource Stopping { get; } = new();
}
