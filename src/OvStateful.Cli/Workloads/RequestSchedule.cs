using System.Diagnostics;
using System.Threading.Channels;

namespace OvStateful.Cli.Workloads;

/// <summary>
/// perf_analyzer's request-rate mode: turns to send a step are released at a fixed rate
/// (constant gaps, or exponential gaps for Poisson arrivals, --request-distribution), whatever
/// the answers. A free sequence takes the next turn; one sequence has at most one step in flight
/// (perf_analyzer's --serial-sequences), so when every sequence is busy the turn waits and
/// counts as delayed (taken more than 2 ms after its time), as perf_analyzer counts them.
/// </summary>
internal sealed class RequestSchedule : IAsyncDisposable
{
    private static readonly long Tolerance = Stopwatch.Frequency / 500; // 2 ms
    private readonly double _rate;
    private readonly bool _poisson;
    private readonly Random _random;
    // Turns released and not yet taken, each its scheduled Stopwatch timestamp. Completed when the run ends.
    private readonly Channel<long> _turns = Channel.CreateUnbounded<long>(new UnboundedChannelOptions { SingleWriter = true });
    private readonly CancellationTokenSource _stop = new();
    private Task _releaser = Task.CompletedTask;
    // Turns taken late. Interlocked.
    private long _delayed;

    public RequestSchedule(double stepsPerSecond, bool poisson, int seed)
    {
        if (!(stepsPerSecond > 0)) throw new UsageException($"request rate {stepsPerSecond} is not above 0 steps/s");
        _rate = stepsPerSecond;
        _poisson = poisson;
        _random = new Random(seed);
    }

    /// <summary>Turns that were taken more than 2 ms after their time.</summary>
    public long Delayed => Interlocked.Read(ref _delayed);

    /// <param name="duration">Stop releasing turns after this long; null: until <see cref="Stop"/>.</param>
    public void Start(TimeSpan? duration)
    {
        if (duration is { } d) _stop.CancelAfter(d);
        _releaser = Task.Run(ReleaseAsync);
    }

    /// <summary>No more turns: every waiting step goes at once (as its sequence's END).</summary>
    public void Stop() => _stop.Cancel();

    /// <summary>Waits for the next turn; returns at once when the schedule has stopped.</summary>
    public async ValueTask WaitTurnAsync(CancellationToken cancellationToken)
    {
        // Several sequences may wake for one turn: the ones that lose it wait again.
        while (await _turns.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!_turns.Reader.TryRead(out var at)) continue;
            if (Stopwatch.GetTimestamp() - at > Tolerance) Interlocked.Increment(ref _delayed);
            return;
        }
    }

    private async Task ReleaseAsync()
    {
        var next = Stopwatch.GetTimestamp();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                // Timers tick about every millisecond: release every turn that is due, then sleep to the next.
                var now = Stopwatch.GetTimestamp();
                while (next <= now)
                {
                    _turns.Writer.TryWrite(next);
                    next += Gap();
                }
                var wait = TimeSpan.FromSeconds((next - now) / (double)Stopwatch.Frequency);
                await Task.Delay(wait > TimeSpan.FromMilliseconds(1) ? wait : TimeSpan.FromMilliseconds(1), _stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        finally
        {
            _turns.Writer.TryComplete();
        }
    }

    /// <summary>Stopwatch ticks to the next turn: 1/rate, or exponential with that mean.</summary>
    private long Gap()
    {
        var seconds = _poisson ? -Math.Log(1 - _random.NextDouble()) / _rate : 1 / _rate;
        return Math.Max(1, (long)(seconds * Stopwatch.Frequency));
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _releaser.ConfigureAwait(false);
        _stop.Dispose();
    }
}
