using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OvStateful.Core.Serving;
using OvStateful.Server.Protocol;
using OvStateful.Server.Sequences;

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

    /// <summary>Cancelled when shutdown begins: streams stop taking new requests, in-flight ones finish.</summary>
    public CancellationTokenSource Stopping { get; } = new();
}
