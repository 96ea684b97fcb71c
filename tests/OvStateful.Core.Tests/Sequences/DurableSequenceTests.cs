using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.State;
using static OvStateful.Core.Tests.Sequences.BatcherHarness;

namespace OvStateful.Core.Tests.Sequences;

/// <summary>
/// Durable live sequences: a crash image of the state folder (its files as the page cache held
/// them, which is what kill -9 leaves) opened by a new batcher continues every sequence exactly
/// where its last answered step left it. The process-level kill -9 test is in the CLI tests.
/// </summary>
public class DurableSequenceTests
{
    private static BatcherOptions Durable(string folder, bool spill = false) =>
        new() { StateDirectory = folder, SpillEnabled = spill, StateSyncPeriod = TimeSpan.Zero };

    /// <summary>Steps each of <paramref name="ids"/> <paramref name="count"/> times with values derived from (id, step), all sequences concurrently.</summary>
    private static async Task<Dictionary<ulong, List<float[]>>> Run(BatcherHarness h, IEnumerable<ulong> ids, int first, int count, bool start)
    {
        var results = new Dictionary<ulong, List<float[]>>();
        await Task.WhenAll(ids.Select(async id =>
        {
            var sums = new List<float[]>();
            for (var k = first; k < first + count; k++) sums.Add(Sum(await Done(h.Step(id, id * 10 + (ulong)k, start: start && k == first))));
            lock (results) results[id] = sums;
        }));
        return results;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task After_a_crash_every_sequence_continues_bit_exact_from_its_last_answered_step(bool spill)
    {
        using var folder = new TempDir();
        // Spill on: 12 sequences over 4 slots, so most live in the spill files, some in the slot journals.
        var ids = Enumerable.Range(1, spill ? 12 : 4).Select(i => (ulong)i).ToArray();
        await using var original = Create(slotsPerInstance: 2, instances: 2, maxBatch: 2, options: Durable(folder.Path, spill));
        await Run(original, ids, 0, 5, start: true);
        Assert.Null(original.Batcher.CheckConsistency());

        using var image = folder.CrashImage();
        var uninterrupted = await Run(original, ids, 5, 5, start: false);

        // The restarted server may be configured differently (one instance of four slots): states do not depend on slots.
        await using var restarted = Create(slotsPerInstance: 4, instances: 1, maxBatch: 4, options: Durable(image.Path, spill));
        Assert.Equal(ids.Length, restarted.Batcher.GetStatistics().ActiveSequences);
        var continued = await Run(restarted, ids, 5, 5, start: false);
        foreach (var id in ids) Assert.Equal(uninterrupted[id], continued[id]);
        Assert.Null(restarted.Batcher.CheckConsistency());
    }

    [Fact]
    public async Task Ended_and_expired_sequences_stay_gone_and_an_unknown_id_is_refused_naming_the_restart()
    {
        using var folder = new TempDir();
        await using (var h = Create(slotsPerInstance: 3, maxBatch: 3, idle: TimeSpan.FromMilliseconds(300), options: Durable(folder.Path)))
        {
            await Done(h.Step(1, 1, start: true));
            await Done(h.Step(2, 1, start: true));
            await Done(h.Step(2, 1, end: true));
            await WaitUntil(() => h.Batcher.GetStatistics().ActiveSequences == 0, "1 released after idling");
            await Done(h.Step(3, 1, start: true));
        }
        await using var restarted = Create(slotsPerInstance: 3, maxBatch: 3, options: Durable(folder.Path));
        Assert.Equal(1, restarted.Batcher.GetStatistics().ActiveSequences);
        Assert.Equal(new float[] { 2, 4, 6, 8 }, Sum(await Done(restarted.Step(3, 1))));
        foreach (var gone in new ulong[] { 1, 2, 99 })
        {
            var e = await Fails(restarted.Step(gone, 1));
            Assert.Equal(InferenceErrorKind.NotFound, e.Kind);
            Assert.Contains($"sequence {gone} is not active", e.Message);
            Assert.Contains("restored after the server restarted at", e.Message);
        }
        // An id that was never issued is refused, never mapped onto a new sequence; a START begins it.
        Assert.Equal(restarted.X(0), Sum(await Done(restarted.Step(99, 0, start: true))));
    }

    [Fact]
    public async Task A_write_torn_by_the_crash_falls_back_to_the_previous_complete_state()
    {
        using var folder = new TempDir();
        await using var original = Create(slotsPerInstance: 1, maxBatch: 1, options: Durable(folder.Path));
        await Done(original.Step(1, 1, start: true));
        await Done(original.Step(1, 2));
        var afterThree = Sum(await Done(original.Step(1, 3)));

        using var image = folder.CrashImage();
        // Tear the newest copy (step 3's): the crash came while step 3's state was being written, before its answer.
        var journal = Path.Combine(image.Path, Model, "1", "slots-0.bin");
        var bytes = File.ReadAllBytes(journal);
        var layout = new StateRecordLayout(0, 4 * 4 + 8);
        var newest = StateRecordLayout.StampOf(bytes) > StateRecordLayout.StampOf(bytes.AsSpan(layout.Size)) ? 0 : layout.Size;
        bytes[newest + layout.StateOffset] ^= 0x01;
        File.WriteAllBytes(journal, bytes);

        await using var restarted = Create(slotsPerInstance: 1, maxBatch: 1, options: Durable(image.Path));
        // Step 3 did not survive (it was never answered); sending it again gives what it gave the first time.
        var again = await Done(restarted.Step(1, 3));
        Assert.Equal(afterThree, Sum(again));
        Assert.Equal(3, Steps(again));
    }

    [Fact]
    public async Task States_of_a_changed_model_are_dropped_and_their_ids_answer_not_restored()
    {
        using var folder = new TempDir();
        await using (var h = Create(slotsPerInstance: 2, options: Durable(folder.Path)))
        {
            await Done(h.Step(1, 1, start: true));
        }
        // Another state width: the saved bytes would be misread, so they must not be applied.
        await using var changed = Create(slotsPerInstance: 2, width: 5, options: Durable(folder.Path));
        Assert.Equal(0, changed.Batcher.GetStatistics().ActiveSequences);
        var e = await Fails(changed.Batcher.InferAsync(changed.Request(new SequenceId(1), 1), default).AsTask());
        Assert.Equal(InferenceErrorKind.NotFound, e.Kind);
        Assert.Contains("sequence 1 was not restored after the server restarted at", e.Message);
        Assert.Contains("the saved states had state sum_in/sum_out FP32 [1, 4]; the model now has state sum_in/sum_out FP32 [1, 5]", e.Message);
    }

    [Fact]
    public async Task Two_servers_never_share_a_state_folder()
    {
        using var folder = new TempDir();
        await using var first = Create(options: Durable(folder.Path));
        var e = Assert.Throws<IOException>(() => Create(options: Durable(folder.Path)));
        Assert.Contains($"model '{Model}' version 1: its state folder", e.Message);
        Assert.Contains("is in use by another server", e.Message);
    }

    [Fact]
    public async Task String_ids_survive_and_a_graceful_stop_keeps_every_live_sequence()
    {
        using var folder = new TempDir();
        var id = new SequenceId("client-α-7");
        await using (var h = Create(idKind: CorrelationIdKind.String, options: Durable(folder.Path, spill: true)))
        {
            await Done(h.Batcher.InferAsync(h.Request(id, 1, start: true), default).AsTask());
            await Done(h.Batcher.InferAsync(h.Request(id, 1), default).AsTask());
        }
        await using var restarted = Create(idKind: CorrelationIdKind.String, options: Durable(folder.Path, spill: true));
        var third = await Done(restarted.Batcher.InferAsync(restarted.Request(id, 1), default).AsTask());
        Assert.Equal(new float[] { 3, 6, 9, 12 }, Sum(third));
        Assert.Equal(3, Steps(third));
    }
}
