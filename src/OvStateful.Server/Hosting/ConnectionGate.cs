using System.Net;
using Microsoft.Extensions.Logging;

namespace OvStateful.Server.Hosting;

/// <summary>
/// Caps the connections open over all of the server's endpoints together: every one holds a
/// file descriptor, and the descriptors are the process's. The accept loop asks before it
/// hands a connection to Kestrel; one past the cap is closed at once, so the process never
/// holds more than the cap plus one, and the refusals are counted in a warning written at
/// most once a second. Connections within the cap are served as before, and new ones are
/// taken again as soon as others close.
/// </summary>
internal sealed class ConnectionGate(int maxConnections, ILogger logger)
{
    private readonly RateLimitedLog _refusals = new(logger, TimeSpan.FromSeconds(1));
    // Invariant: connections admitted and not yet disposed; never above MaxConnections.
    private int _open;

    public int MaxConnections { get; } = maxConnections;
    public int Open => Volatile.Read(ref _open);

    /// <summary>Admits a connection when under the cap; else counts a refusal (the caller closes it).</summary>
    public bool TryEnter(EndPoint endpoint)
    {
        while (true)
        {
            var open = Volatile.Read(ref _open);
            if (open >= MaxConnections)
            {
                _refusals.Note((this, endpoint), static (log, count, s) => log.LogWarning(
                    "refused {Count} connection(s) on {Endpoint} since the last such report: {Open} are open, the limit is MaxConnections={Max}",
                    count, s.endpoint, s.Item1.Open, s.Item1.MaxConnections));
                return false;
            }
            if (Interlocked.CompareExchange(ref _open, open + 1, open) == open) return true;
        }
    }

    /// <summary>An admitted connection is gone.</summary>
    public void Exit() => Interlocked.Decrement(ref _open);
}
