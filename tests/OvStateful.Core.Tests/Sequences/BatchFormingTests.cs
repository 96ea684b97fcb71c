using OvStateful.Core.Config;
using OvStateful.Core.Tensors;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using static OvStateful.Core.Tests.Sequences.BatcherHarness;

namespace OvStateful.Core.Tests.Sequences;

public class BatchFormingTests
{
    [Fact]
    public async Task Direct_waits_for_minimum_slot_utilization_before_running()
    {
        await using var h = Create(BatchingStrategy.Direct, maxBatch: 4, tweak: s => s with
        {
            MinimumSlotUtilization = 1.0,
            MaxQueueDelay = TimeSpan.FromMinutes(10),
        });
        var tasks = new List<Task<InferenceResponse>>();
        for (ulong id = 1; id <= 3; id++) tasks.Add(h.Step(id, id, start: true));
        await WaitUntil(() => h.Batcher.GetStatistics().SlotsInUse == 3, "3 slots taken");
        Assert.Empty(h.Engines[0].Batches); // 3 of 4 slots ready: below the utilization asked for
        tasks.Add(h.Step(4, 4, start: true));
        await Task.WhenAll(tasks).WaitAsync(HangGuard);
        var batch = Assert.Single(h.Engines[0].Batches);
        Assert.Equal(4, batch.Length);
        Assert.Equal(new[] { 0, 1, 2, 3 }, batch.Select(e => e.Slot).Order());
        Assert.All(batch, e => Assert.Equal(StepFlags.Start | StepFlags.Ready, e.Flags));
    }

    [Fact]
    public async Task Direct_batch_rows_are_slots_padded_with_not_ready_rows_up_to_the_highest_slot_with_a_step()
    {
        await using var h = Create(BatchingStrategy.Direct, maxBatch: 4, padding: true);
        for (ulong id = 1; id <= 3; id++) await Done(h.Step(id, id, start: true));
        var seq3 = await Done(h.Step(3, 10));
        var seq1 = await Done(h.Step(1, 10));
        var batches = h.Engines[0].Batches.Select(b => b.Select(e => (e.Slot, e.Flags)).ToArray()).ToArray();
        var pad = StepFlags.None;
        Assert.Equal([(0, StepFlags.Start | StepFlags.Ready)], batches[0]);
        Assert.Equal([(0, pad), (1, StepFlags.Start | StepFlags.Ready)], batches[1]);
        Assert.Equal([(0, pad), (1, pad), (2, StepFlags.Start | StepFlags.Ready)], batches[2]);
        Assert.Equal([(0, pad), (1, pad), (2, StepFlags.Ready)], batches[3]);
        Assert.Equal([(0, StepFlags.Ready)], batches[4]);
        // Padding rows changed no state: each sequence's sum is its own.
        Assert.Equal(13f, Sum(seq3)[0]);
        Assert.Equal(11f, Sum(seq1)[0]);
        // Statistics count the steps inferred; the executed batch sizes include the padding rows.
        var stats = h.Batcher.GetStatistics();
        Assert.Equal(5UL, stats.InferenceCount);
        Assert.Equal(5UL, stats.ExecutionCount);
        Assert.Equal(10UL, stats.BatchStats.Aggregate(0UL, (n, b) => n + (ulong)b.BatchSize * b.ComputeInfer.Count));
    }

    [Fact]
    public async Task Direct_without_padding_support_runs_compact_batches()
    {
        await using var h = Create(BatchingStrategy.Direct, maxBatch: 4);
        for (ulong id = 1; id <= 2; id++) await Done(h.Step(id, id, start: true));
        await Done(h.Step(2, 1));
        Assert.All(h.Engines[0].Batches, b => Assert.All(b, e => Assert.True((e.Flags & StepFlags.Ready) != 0)));
        Assert.Equal([1], h.Engines[0].Batches.Last().Select(e => e.Slot));
    }

    [Fact]
    public async Task Oldest_runs_at_a_preferred_batch_size_without_waiting_for_the_delay()
    {
        await using var h = Create(BatchingStrategy.Oldest, slotsPerInstance: 8, maxBatch: 8, tweak: s => s with
        {
            PreferredBatchSizes = [3],
            MaxQueueDelay = TimeSpan.FromMinutes(10),
        });
        var first = new[] { h.Step(1, 1, start: true), h.Step(2, 1, start: true) };
        await WaitUntil(() => h.Batcher.GetStatistics().SlotsInUse == 2, "2 slots taken");
        Assert.Empty(h.Engines[0].Batches);
        var third = h.Step(3, 1, start: true);
        await Task.WhenAll([.. first, third]).WaitAsync(HangGuard);
        Assert.Equal(3, Assert.Single(h.Engines[0].Batches).Length);
        var stats = h.Batcher.GetStatistics();
        Assert.Equal(1UL, stats.ExecutionCount);
        Assert.Equal(3UL, stats.InferenceCount);
        Assert.Equal(3, Assert.Single(stats.BatchStats).BatchSize);
    }

    [Fact]
    public async Task Oldest_batches_the_oldest_pending_steps_of_distinct_sequences()
    {
        await using var h = Create(BatchingStrategy.Oldest, slotsPerInstance: 4, maxBatch: 2);
        var gate = new ManualResetEventSlim(false);
        h.Engines[0].Gate = gate;
        var t0 = h.Step(1, 1, start: true);
        h.Engines[0].Entered.Wait(HangGuard);
        // Queued while the engine is busy, in this order: 2, 3, 1, 4.
        var rest = new[] { h.Step(2, 1, start: true), h.Step(3, 1, start: true), h.Step(1, 1), h.Step(4, 1, start: true) };
        await WaitUntil(() => h.Batcher.GetStatistics().SlotsInUse == 4, "4 slots taken");
        gate.Set();
        await Task.WhenAll([t0, .. rest]).WaitAsync(HangGuard);
        var batches = h.Engines[0].Batches.Select(b => b.Select(e => e.Id.Number).ToArray()).ToArray();
        Assert.Equal(new ulong[] { 1 }, batches[0]);
        Assert.Equal(new ulong[] { 2, 3 }, batches[1]);
        Assert.Equal(new ulong[] { 1, 4 }, batches[2]);
    }

    public static TheoryData<BatchingStrategy, int, bool> Modes() => new()
    {
        { BatchingStrategy.Oldest, 1, false },
        { BatchingStrategy.Oldest, 2, false },
        { BatchingStrategy.Direct, 2, false },
        { BatchingStrategy.Oldest, 2, true },
        { BatchingStrategy.Direct, 1, true },
    };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Many_concurrent_sequences_match_running_each_alone(BatchingStrategy strategy, int instances, bool spill)
    {
        const int sequences = 200, steps = 8, clients = 8;
        await using var h = Create(strategy, instances: instances, slotsPerInstance: 4, maxBatch: 4,
            options: new BatcherOptions { SpillEnabled = spill });
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var next = 0;
        // Each client takes whole sequences and sends their steps in order; clients interleave freely.
        var workers = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var rng = new Random(c);
            int s;
            while ((s = Interlocked.Increment(ref next)) <= sequences)
            {
                var expected = new float[h.Width];
                for (var k = 0; k < steps; k++)
                {
                    var v = rng.Next(-100, 100) / 4f;
                    var x = h.X(v);
                    for (var i = 0; i < expected.Length; i++) expected[i] += x[i];
                    var r = await h.Step((ulong)s, v, start: k == 0, end: k == steps - 1);
                    if (!Sum(r).SequenceEqual(expected) || Steps(r) != k + 1) failures.Enqueue($"sequence {s} step {k}: got {string.Join(",", Sum(r))} after {Steps(r)} steps");
                    if (rng.Next(4) == 0) await Task.Yield();
                }
            }
        })).ToArray();
        await Task.WhenAll(workers).WaitAsync(HangGuard);
        Assert.Empty(failures);
        foreach (var e in h.Engines)
        {
            foreach (var batch in e.Batches)
            {
                Assert.Equal(batch.Length, batch.Select(x => x.Id).Distinct().Count());
                Assert.True(batch.Length <= 4);
            }
        }
        var stats = h.Batcher.GetStatistics();
        Assert.Equal((ulong)(sequences * steps), stats.Success.Count);
        Assert.Equal(0, stats.ActiveSequences);
        Assert.Equal(0, stats.SlotsInUse);
        Assert.Equal((ulong)(sequences * steps), (ulong)stats.BatchStats.Sum(b => (long)b.ComputeInfer.Count * b.BatchSize));
        Assert.Null(h.Batcher.CheckConsistency());
    }

    [Fact]
    public async Task Steps_of_one_sequence_sent_without_waiting_complete_in_order()
    {
        await using var h = Create(slotsPerInstance: 2, maxBatch: 2);
        var tasks = new List<Task<InferenceResponse>> { h.Step(1, 1, start: true) };
        for (var k = 1; k < 50; k++) tasks.Add(h.Step(1, 1));
        var results = await Task.WhenAll(tasks).WaitAsync(HangGuard);
        for (var k = 0; k < results.Length; k++) Assert.Equal(k + 1, Steps(results[k]));
    }

    [Fact]
    public void Settings_split_candidate_slots_over_instances_and_read_the_corrid_type()
    {
        var config = new ModelConfig
        {
            Name = "m",
            MaxBatchSize = 4,
            InstanceGroup = { new ModelInstanceGroup { Count = 2 } },
            SequenceBatching = new ModelSequenceBatching
            {
                MaxSequenceIdleMicroseconds = 0,
                Oldest = new ModelSequenceBatching.Types.StrategyOldest { MaxCandidateSequences = 5, PreferredBatchSize = { 8, 2, 4, 2 }, MaxQueueDelayMicroseconds = 100 },
                ControlInput =
                {
                    new ModelSequenceBatching.Types.ControlInput
                    {
                        Name = "CORRID",
                        Control = { new ModelSequenceBatching.Types.Control { Kind = ModelSequenceBatching.Types.Control.Types.Kind.ControlSequenceCorrid, DataType = ConfigDataType.TypeString } },
                    },
                },
            },
        };
        var s = SequenceBatcherSettings.FromConfig(config, "3");
        Assert.Equal(BatchingStrategy.Oldest, s.Strategy);
        Assert.Equal(3, s.SlotsForInstance(0));
        Assert.Equal(2, s.SlotsForInstance(1));
        Assert.Equal(5, s.TotalSlots);
        Assert.Equal(new[] { 2, 4 }, s.PreferredBatchSizes);
        Assert.Equal(TimeSpan.FromSeconds(1), s.MaxSequenceIdle);
        Assert.Equal(TimeSpan.FromTicks(1000), s.MaxQueueDelay);
        Assert.Equal(CorrelationIdKind.String, s.CorrelationIdKind);

        config.SequenceBatching.Oldest = null;
        config.SequenceBatching.ControlInput.Clear();
        var d = SequenceBatcherSettings.FromConfig(config, "3");
        Assert.Equal(BatchingStrategy.Direct, d.Strategy);
        Assert.Equal(8, d.TotalSlots);
        Assert.Equal(CorrelationIdKind.Any, d.CorrelationIdKind);

        config.SequenceBatching = null;
        Assert.False(SequenceBatcherSettings.FromConfig(config, "3").IsSequenceModel);
    }
}
