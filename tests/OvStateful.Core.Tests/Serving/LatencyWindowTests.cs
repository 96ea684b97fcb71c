using OvStateful.Core.Serving;

namespace OvStateful.Core.Tests.Serving;

public sealed class LatencyWindowTests
{
    [Fact]
    public void Quantiles_are_nearest_ranks_of_the_samples()
    {
        var w = new LatencyWindow();
        Assert.Empty(w.QuantilesNs());
        // 1..1000 in a scrambled order: the sort, not the arrival order, decides.
        for (var i = 0; i < 1000; i++) w.Record(((i * 7919) % 1000) + 1);
        Assert.Equal([500.0, 900, 950, 990, 999], w.QuantilesNs());
    }

    [Fact]
    public void Only_the_latest_capacity_samples_count()
    {
        var w = new LatencyWindow();
        for (var i = 0; i < LatencyWindow.Capacity; i++) w.Record(1_000_000);
        for (var i = 0; i < LatencyWindow.Capacity; i++) w.Record(5);
        Assert.All(w.QuantilesNs(), q => Assert.Equal(5, q));
    }
}
