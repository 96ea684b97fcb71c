using Xunit;

namespace OvStateful.Testing;

/// <summary>
/// "A step allocates nothing", asserted robustly: the managed bytes this thread allocates over
/// repeated steps, counted in blocks. What every step allocates shows in every block; a one-off of
/// the runtime's (seen in full-suite runs on a loaded machine, 4.6 KB once in 20 steps, while the
/// assembly's other tests run in parallel) lands in one block, and is reported with the garbage
/// collections that happened in it, not counted as a step's cost.
/// </summary>
public static class ThreadAllocation
{
    public static void AssertNoneAcrossBlocks(Action step, int blocks = 5, int stepsPerBlock = 20)
    {
        var bytes = new long[blocks];
        var collections = new int[blocks];
        for (var b = 0; b < blocks; b++)
        {
            var gcs = GC.CollectionCount(0);
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < stepsPerBlock; i++) step();
            bytes[b] = GC.GetAllocatedBytesForCurrentThread() - before;
            collections[b] = GC.CollectionCount(0) - gcs;
        }
        var allocating = bytes.Count(v => v != 0);
        Assert.True(allocating <= 1,
            $"{allocating} of {blocks} blocks of {stepsPerBlock} steps allocated (bytes, gen-0 collections during the block): "
            + string.Join(", ", bytes.Select((v, b) => $"{v} B ({collections[b]} GC)")) + "; at most one one-off block expected, the others 0");
    }
}
