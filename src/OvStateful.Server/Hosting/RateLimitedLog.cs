using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace OvStateful.Server.Hosting;

/// <summary>
/// A warning that may repeat thousands of times a second (refused connections, a full
/// descriptor table) logged at most once per interval, saying how many times it happened
/// since the last line. Thread-safe, lock-free; allocation only when a line is written.
/// </summary>
internal sealed class RateLimitedLog(ILogger logger, TimeSpan interval)
{
    private readonly long _intervalTicks = (long)(interval.TotalSeconds * Stopwatch.Frequency);
    // Timestamp of the last line written; 0 = none yet.
    private long _lastWritten;
    // Occurrences since the last line (including the one that writes the next).
    private long _pending;

    /// <summary>Counts one occurrence; writes a line through <paramref name="write"/> when the interval has passed, with the count since the last one.</summary>
    public void Note<TState>(TState state, Action<ILogger, long, TState> write)
    {
        Interlocked.Increment(ref _pending);
        var now = Stopwatch.GetTimestamp();
        var last = Interlocked.Read(ref _lastWritten);
        if (last != 0 && now - last < _intervalTicks) return;
        if (Interlocked.CompareExchange(ref _lastWritten, now, last) != last) return; // another thread writes this one
        write(logger, Interlocked.Exchange(ref _pending, 0), state);
    }
}
