namespace OvStateful.Core.Serving;

/// <summary>
/// The most recent <see cref="Capacity"/> durations of one kind (request, queue, compute
/// phases), for the quantiles of Triton's latency summaries. Recording is one interlocked
/// increment and one store, no lock and no allocation; quantiles are computed on a copy when
/// metrics are read. A sample being written while a read copies may be seen old or new: a
/// summary is an estimate either way (Triton's are too).
/// </summary>
public sealed class LatencyWindow
{
    /// <summary>Samples kept: the quantiles describe the latest this many observations.</summary>
    public const int Capacity = 1024;

    /// <summary>Triton's summary quantiles (its default objectives).</summary>
    public static readonly double[] Quantiles = [0.5, 0.9, 0.95, 0.99, 0.999];

    // Invariant: slot (i mod Capacity) holds the i-th sample recorded, for the last min(_next, Capacity) samples.
    private readonly long[] _samples = new long[Capacity];
    // Samples ever recorded.
    private long _next;

    public void Record(long ns)
    {
        var i = Interlocked.Increment(ref _next) - 1;
        Volatile.Write(ref _samples[i % Capacity], ns);
    }

    /// <summary>Nanoseconds at each of <see cref="Quantiles"/> over the window (nearest rank); empty when nothing was recorded.</summary>
    public double[] QuantilesNs()
    {
        var n = (int)Math.Min(Interlocked.Read(ref _next), Capacity);
        if (n == 0) return [];
        var copy = new long[n];
        for (var i = 0; i < n; i++) copy[i] = Volatile.Read(ref _samples[i]);
        Array.Sort(copy);
        var result = new double[Quantiles.Length];
        for (var q = 0; q < Quantiles.Length; q++)
        {
            var rank = (int)Math.Ceiling(Quantiles[q] * n) - 1;
            result[q] = copy[Math.Clamp(rank, 0, n - 1)];
        }
        return result;
    }
}
