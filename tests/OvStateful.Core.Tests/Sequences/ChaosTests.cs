using System.Collections.Concurrent;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using static OvStateful.Core.Tests.Sequences.BatcherHarness;

namespace OvStateful.Core.Tests.Sequences;

/// <summary>
/// Clients that cancel steps and restart live sequences, over two instances with a capped
/// spill. A cancelled step fails as Cancelled exactly when it did not run, so each client
/// still knows its exact expected sums. (No idle timeouts here: a client stalled past the
/// timeout on a loaded machine would rightly lose its sequence, which no client can tell
/// apart from a restart; the reaper has its own tests.)
/// </summary>
public class ChaosTests
{
    [Theory]
    [InlineData(BatchingStrategy.Oldest, true)]
    [InlineData(BatchingStrategy.Direct, true)]
    [InlineData(BatchingStrategy.Oldest, false)]
    public async Task Cancels_and_restarts_from_many_clients_keep_every_answer_exact(BatchingStrategy strategy, bool spill)
    {
        const long slotBytes = 4 * 4 + 8;
        var observer = new RecordingObserver();
        await using var h = Create(strategy, instances: 2, slotsPerInstance: 2, maxBatch: 2, 
            options: new BatcherOptions { SpillEnabled = spill, SpillMemoryCapBytes = 3 * slotBytes, Observer = observer });
        var problems = new ConcurrentQueue<string>();
        var cancelled = 0;
        var nextId = 0L;
        var clients = Enumerable.Range(0, 10).Select(c => Task.Run(async () =>
        {
            var r = new Random(100 + c);
            for (var seqNo = 0; seqNo < 20; seqNo++)
            {
                var id = (ulong)Interlocked.Increment(ref nextId);
                var expected = new float[h.Width];
                var count = 0L;
                var needStart = true;
                var steps = r.Next(1, 8);
                for (var k = 0; k < steps; k++)
                {
                    var last = k == steps - 1;
                    var restart = !needStart && r.Next(10) == 0;
                    var start = needStart || restart;
                    var v = r.Next(-50, 50);
                    using var cts = new CancellationTokenSource();
                    var t = h.Step(id, v, start: start, end: last, ct: cts.Token);
                    if (r.Next(6) == 0) { cts.Cancel(); }
                    try
                    {
                        var resp = await t;
                        if (start) { Array.Clear(expected); count = 0; }
                        var x = h.X(v);
                        for (var i = 0; i < expected.Length; i++) expected[i] += x[i];
                        count++;
                        needStart = last; // after END the id may only begin again with START
                        if (!Sum(resp).SequenceEqual(expected) || Steps(resp) != count)
                            problems.Enqueue($"sequence {id} step {k}: sum {string.Join(",", Sum(resp))} after {Steps(resp)}, expected {string.Join(",", expected)} after {count}");
                        if (last) break;
                    }
                    catch (InferenceException ex) when (ex.Kind == InferenceErrorKind.Cancelled)
                    {
                        Interlocked.Increment(ref cancelled);
                        // It never ran; a cancelled START leaves the next step to start the sequence.
                        if (last) steps++; // send END again
                    }
                    catch (InferenceException ex)
                    {
                        problems.Enqueue($"sequence {id} step {k}: {ex.Kind}: {ex.Message}; ended: {string.Join(",", observer.Ended.Where(e => e.Item1 == new SequenceId(id)).Select(e => e.Item2))}");
                        break;
                    }
                }
            }
        })).ToArray();
        await Task.WhenAll(clients).WaitAsync(HangGuard);
        Assert.True(problems.IsEmpty, string.Join("\n", problems.Take(10)));
        Assert.True(cancelled > 0, "no step was ever cancelled while queued");
        Assert.Null(h.Batcher.CheckConsistency());
        var stats = h.Batcher.GetStatistics();
        Assert.Equal(0, stats.ActiveSequences);
        Assert.Equal(0, stats.SlotsInUse);
        Assert.Equal(0, stats.SpilledBytes);
        Assert.Equal(0, stats.BackloggedSequences);
        Assert.Null(h.Batcher.CheckConsistency());
    }
}
