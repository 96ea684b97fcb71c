using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging;

namespace OvStateful.Server.Hosting;

/// <summary>
/// Kestrel's socket transport with an accept loop that survives running out of file
/// descriptors. Kestrel's own retries a failed accept at once, forever (a busy loop on
/// EMFILE), and the runtime, needing a descriptor for something else meanwhile (loading an
/// assembly to format an exception), aborted the process ("Out of memory."). Here an accept
/// that fails for want of descriptors or buffers waits 100 ms and tries again, so pending
/// connections wait in the kernel's backlog (and are refused there when it is full), and the
/// condition is logged at most once a second. The <see cref="ConnectionGate"/> is asked before
/// a connection is handed on, so connections alone never exhaust the descriptors. Connections
/// are Kestrel's (<see cref="SocketConnectionContextFactory"/>), so nothing else changes.
/// </summary>
internal sealed class GuardedSocketTransport : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    private readonly ILogger _logger;
    private readonly RateLimitedLog _exhausted;

    public GuardedSocketTransport(ConnectionGate gate, ILogger logger)
    {
        Gate = gate;
        _logger = logger;
        _exhausted = new RateLimitedLog(logger, TimeSpan.FromSeconds(1));
        // The back-off below uses a timer; the runtime starts its timer thread on first use, and
        // starting a thread needs descriptors: make sure it is running before they run out.
        _ = Task.Delay(1);
    }

    public ConnectionGate Gate { get; }

    /// <summary>Kestrel's pinned-block pool factory (from a host's services), set before the hosts start; null keeps the options' default.</summary>
    private IMemoryPoolFactory<byte>? _memoryPool;

    /// <summary>
    /// Connections take their buffers from Kestrel's pinned-block pool, as with Kestrel's own
    /// transport. The public options default to a pool that allocates a wrapper per rent
    /// (measured: about 50 B per REST step) and hands out empty spans when no size is hinted.
    /// </summary>
    public void UseMemoryPool(IMemoryPoolFactory<byte> factory) => _memoryPool ??= factory;

    // Kestrel's own transport sets this internal property; it has no public setter.
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_MemoryPoolFactory")]
    private static extern void SetMemoryPoolFactory(SocketConnectionFactoryOptions options, IMemoryPoolFactory<byte> factory);

    internal SocketConnectionFactoryOptions ConnectionOptions()
    {
        var options = new SocketConnectionFactoryOptions();
        if (_memoryPool is { } pool)
        {
            try { SetMemoryPoolFactory(options, pool); }
            catch (MissingMethodException) { _logger.LogDebug("this ASP.NET Core has no settable transport memory pool; connections use the default pool"); }
        }
        return options;
    }

    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endpoint is IPEndPoint { Address: var a } && a.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
            socket.Bind(endpoint);
            socket.Listen(512);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new AddressInUseException(e.Message, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return ValueTask.FromResult<IConnectionListener>(new Listener(socket, new SocketConnectionContextFactory(ConnectionOptions(), _logger), this));
    }

    private void NoteExhausted(EndPoint endpoint, SocketError error) =>
        _exhausted.Note((endpoint, error), static (log, count, s) => log.LogWarning(
            "cannot accept connections on {Endpoint} ({Error}: the process is out of file descriptors or socket buffers); {Count} failed accept(s) since the last such report, retrying every 100 ms; raise the open-file limit or lower MaxConnections",
            s.endpoint, s.error, count));

    private sealed class Listener(Socket socket, SocketConnectionContextFactory factory, GuardedSocketTransport owner) : IConnectionListener
    {
        public EndPoint EndPoint { get; } = socket.LocalEndPoint!;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            while (true)
            {
                try
                {
                    var accepted = await socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
                    if (!owner.Gate.TryEnter(EndPoint))
                    {
                        accepted.Dispose(); // refused: closed before anything is read
                        continue;
                    }
                    try
                    {
                        accepted.NoDelay = true;
                        return new GatedConnection(factory.Create(accepted), owner.Gate);
                    }
                    catch
                    {
                        owner.Gate.Exit();
                        accepted.Dispose();
                        throw;
                    }
                }
                catch (ObjectDisposedException)
                {
                    return null; // unbound
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.OperationAborted)
                {
                    return null;
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
                {
                    owner.NoteExhausted(EndPoint, e.SocketErrorCode);
                    try
                    {
                        await Task.Delay(100, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return null;
                    }
                    catch (OutOfMemoryException)
                    {
                        Thread.Sleep(100); // the runtime could not start what the timer needs (no descriptors): wait here instead
                    }
                }
                catch (SocketException)
                {
                    // Reset while waiting in the backlog: take the next one.
                }
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
        {
            socket.Dispose();
            return default;
        }

        public ValueTask DisposeAsync()
        {
            socket.Dispose();
            factory.Dispose();
            return default;
        }
    }
}
