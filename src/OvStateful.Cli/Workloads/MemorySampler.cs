using System.Diagnostics;

namespace OvStateful.Cli.Workloads;

/// <summary>Memory while a workload runs: working set and GC heap sampled every 50 ms (peaks of this run alone), plus the process's lifetime peak.</summary>
internal sealed class MemorySampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly long _allocatedAtStart = GC.GetTotalAllocatedBytes(precise: false);
    private long _peakWorkingSet, _peakGcHeap;

    public MemorySampler()
    {
        Sample();
        _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false)) Sample();
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        });
    }

    private void Sample()
    {
        using var p = Process.GetCurrentProcess();
        _peakWorkingSet = Math.Max(_peakWorkingSet, p.WorkingSet64);
        _peakGcHeap = Math.Max(_peakGcHeap, GC.GetTotalMemory(forceFullCollection: false));
    }

    public async Task<MemorySummary> StopAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        Sample();
        using var p = Process.GetCurrentProcess();
        return new MemorySummary(_peakWorkingSet, p.PeakWorkingSet64, _peakGcHeap, GC.GetTotalAllocatedBytes(precise: false) - _allocatedAtStart);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}

/// <param name="PeakWorkingSetBytes">Largest working set sampled during the run.</param>
/// <param name="ProcessPeakWorkingSetBytes">The process's peak working set since it started (the OS's figure).</param>
/// <param name="PeakGcHeapBytes">Largest GC heap sampled during the run.</param>
/// <param name="AllocatedBytes">Managed bytes allocated during the run (all threads).</param>
internal sealed record MemorySummary(long PeakWorkingSetBytes, long ProcessPeakWorkingSetBytes, long PeakGcHeapBytes, long AllocatedBytes);
