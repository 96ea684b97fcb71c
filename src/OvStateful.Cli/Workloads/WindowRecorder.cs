using System.Diagnostics;

namespace OvStateful.Cli.Workloads;

/// <summary>
/// Collects the latencies of successful steps into the open measurement window (none during
/// the warm-up). Clients record under one short lock; the controller closes a window by
/// swapping its list, so recording never waits for the window's statistics.
/// </summary>
internal sealed class WindowRecorder
{
    private readonly Lock _lock = new();
    // Latencies (ms) of the open window; null while no window is open (warm-up, after the last one).
    private List<double>? _open;
    // Stopwatch timestamp when the open window opened; meaningful while _open is not null.
    private long _openedAt;

    /// <summary>Steps recorded in the open window so far (for count windows).</summary>
    public int OpenCount
    {
        get { lock (_lock) return _open?.Count ?? 0; }
    }

    public void Record(double latencyMs)
    {
        lock (_lock) _open?.Add(latencyMs);
    }

    public void Open()
    {
        lock (_lock)
        {
            _open = new List<double>(4096);
            _openedAt = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Closes the open window and opens the next one at once (when <paramref name="reopen"/>).</summary>
    public (double Seconds, List<double> Latencies) Close(bool reopen)
    {
        List<double> taken;
        long openedAt, now;
        lock (_lock)
        {
            now = Stopwatch.GetTimestamp();
            taken = _open ?? [];
            openedAt = _openedAt;
            _open = reopen ? new List<double>(Math.Max(16, taken.Count)) : null;
            _openedAt = now;
        }
        return ((now - openedAt) / (double)Stopwatch.Frequency, taken);
    }
}
