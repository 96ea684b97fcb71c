using OvStateful.Core.Serving;

namespace OvStateful.Cli.Workloads;

/// <summary>The batches the sequence batcher formed (from <see cref="ModelStatistics.BatchStats"/>): executions per size and the mean size.</summary>
internal sealed record BatchSizes(IReadOnlyDictionary<int, ulong> Histogram, ulong Executions, double Mean)
{
    public static BatchSizes Empty { get; } = new(new SortedDictionary<int, ulong>(), 0, 0);

    public static BatchSizes From(ModelStatistics stats)
    {
        var histogram = new SortedDictionary<int, ulong>();
        ulong executions = 0, entries = 0;
        foreach (var b in stats.BatchStats)
        {
            var n = b.ComputeInfer.Count;
            if (n == 0) continue;
            histogram[b.BatchSize] = n;
            executions += n;
            entries += n * (ulong)b.BatchSize;
        }
        return new BatchSizes(histogram, executions, executions == 0 ? 0 : (double)entries / executions);
    }

    /// <summary>What happened between two readings of a server's cumulative executions per batch size.</summary>
    public static BatchSizes Between(IReadOnlyDictionary<int, ulong> before, IReadOnlyDictionary<int, ulong> after)
    {
        var histogram = new SortedDictionary<int, ulong>();
        ulong executions = 0, entries = 0;
        foreach (var (size, count) in after)
        {
            var n = count - Math.Min(count, before.GetValueOrDefault(size));
            if (n == 0) continue;
            histogram[size] = n;
            executions += n;
            entries += n * (ulong)size;
        }
        return new BatchSizes(histogram, executions, executions == 0 ? 0 : (double)entries / executions);
    }

    /// <summary>"1×12 2×40 4×3" (size×executions).</summary>
    public string Format(int most = 12)
    {
        var parts = Histogram.OrderByDescending(kv => kv.Value).Take(most).OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}×{kv.Value}");
        return string.Join(" ", parts) + (Histogram.Count > most ? $" (+{Histogram.Count - most} sizes)" : "");
    }
}
