using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.State;
using OvStateful.Core.Tensors;

namespace OvStateful.OnnxRuntime.Tests.Batcher;

/// <summary>
/// The sequence batcher over the real ONNX Runtime engine: many clients with random
/// interleavings get exactly what each sequence gives alone; spill to host memory and back
/// is invisible in the outputs, bit for bit.
/// </summary>
public class BatcherOnOrtTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);
    private static readonly OnnxRuntimeEngineProvider Provider = new(new OnnxRuntimeOptions { IntraOpThreads = 1, InterOpThreads = 1 });

    /// <param name="candidates">Slots over all instances (each instance gets its share as its max_candidate_sequences, Triton's per-instance count).</param>
    private static ServedModel Serve(ModelUnderTest m, int instances, int candidates, int maxBatch, BatcherOptions? options = null)
    {
        var config = m.Config;
        config.MaxBatchSize = maxBatch;
        config.InstanceGroup.Clear();
        config.InstanceGroup.Add(new ModelInstanceGroup { Kind = ModelInstanceGroup.Types.Kind.Cpu, Count = instances });
        config.SequenceBatching!.Oldest = new ModelSequenceBatching.Types.StrategyOldest { MaxCandidateSequences = candidates / instances };
        config.SequenceBatching.MaxSequenceIdleMicroseconds = 600_000_000;
        return ServedModel.Load(Provider, config, "1", Path.GetDirectoryName(m.ModelFile)!, m.ModelFile, options);
    }

    private static InferenceRequest Request(IServedModel model, ulong id, byte[][] inputs, bool start, bool end)
    {
        var tensors = new Tensor[inputs.Length];
        for (var k = 0; k < inputs.Length; k++)
        {
            var spec = model.Inputs[k];
            tensors[k] = new Tensor(spec.Name, spec.DataType, spec.RequestShape, inputs[k]);
        }
        return new InferenceRequest { ModelName = model.Name, SequenceId = new SequenceId(id), SequenceStart = start, SequenceEnd = end, Inputs = tensors };
    }

    public static TheoryData<int, bool> StressModes => new()
    {
        { 16, false }, // more slots than clients: nobody waits
        { 6, false },  // fewer slots than clients: the backlog
        { 6, true },   // fewer slots than clients: spill
    };

    [OrtTheory]
    [MemberData(nameof(StressModes))]
    public async Task Thousands_of_interleaved_steps_from_many_threads_match_the_closed_form(int candidates, bool spill)
    {
        // accumulate_int32: state += Σ over the 4 rows; output = input + state. Integer-exact.
        var m = ModelUnderTest.Get("accumulate_int32");
        await using var model = Serve(m, instances: 2, candidates: candidates, maxBatch: 4, new BatcherOptions { SpillEnabled = spill });
        const int sequences = 1200, clients = 12;
        var failures = new ConcurrentQueue<string>();
        var next = 0;
        var sent = 0L;
        var workers = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
        {
            var r = new Random(c);
            int s;
            while ((s = Interlocked.Increment(ref next)) <= sequences)
            {
                var steps = r.Next(1, 7);
                Interlocked.Add(ref sent, steps);
                var sum = new long[5];
                for (var t = 0; t < steps; t++)
                {
                    var input = new int[20];
                    for (var i = 0; i < 20; i++) input[i] = r.Next(-1000, 1000);
                    for (var i = 0; i < 20; i++) sum[i % 5] += input[i];
                    var resp = await model.InferAsync(Request(model, (ulong)s, [MemoryMarshal.AsBytes(input.AsSpan()).ToArray()], t == 0, t == steps - 1), default);
                    var got = resp.Outputs[0].ToArray<int>();
                    for (var i = 0; i < 20; i++)
                    {
                        if (got[i] != input[i] + sum[i % 5]) { failures.Enqueue($"sequence {s} step {t} element {i}: {got[i]} != {input[i] + sum[i % 5]}"); break; }
                    }
                    if (r.Next(3) == 0) await Task.Yield();
                }
            }
        })).ToArray();
        await Task.WhenAll(workers).WaitAsync(HangGuard);
        Assert.Empty(failures);
        var stats = model.GetStatistics();
        Assert.Equal(0UL, stats.Fail.Count);
        Assert.True(sent > 3000, $"only {sent} steps sent");
        Assert.Equal((ulong)sent, stats.Success.Count);
        Assert.Equal(0, stats.ActiveSequences);
        Assert.True(stats.BatchStats.Count > 1, "only one batch size ran; the batcher never batched");
        Assert.Equal(stats.Success.Count, (ulong)stats.BatchStats.Sum(b => (long)b.ComputeInfer.Count * b.BatchSize));
        if (spill) Assert.True(stats.SpillCount > 0 && stats.RestoreCount > 0, "12 clients over 6 slots never spilled");
        Assert.Equal(0, stats.SpilledBytes);
    }

    public static TheoryData<string> SpillModels => new() { "accumulate_fp32", "silero_vad" };

    [OrtTheory]
    [MemberData(nameof(SpillModels))]
    public async Task Spill_and_restore_through_the_real_engine_is_bit_exact(string name)
    {
        var m = ModelUnderTest.Get(name);
        const int sequences = 6, steps = 5;
        var r = new Random(77);
        var inputs = new byte[sequences, steps][][];
        for (var s = 0; s < sequences; s++) for (var t = 0; t < steps; t++) inputs[s, t] = m.MakeInputs(r);

        // Two slots, six live sequences stepped round-robin: nearly every step restores a spilled state.
        var got = new InferenceResponse[sequences, steps];
        await using (var model = Serve(ModelUnderTest.Get(name), instances: 1, candidates: 2, maxBatch: 2, new BatcherOptions { SpillEnabled = true }))
        {
            for (var t = 0; t < steps; t++)
                for (var s = 0; s < sequences; s++)
                    got[s, t] = await model.InferAsync(Request(model, (ulong)s + 1, inputs[s, t], t == 0, t == steps - 1), default).AsTask().WaitAsync(HangGuard);
            var stats = model.GetStatistics();
            Assert.True(stats.SpillCount >= (ulong)(sequences * (steps - 1) - 2), $"expected a spill per step, got {stats.SpillCount}");
            Assert.True(stats.RestoreCount > 0);
            Assert.Equal(0, stats.SpilledBytes);
        }

        // Each sequence alone: a fresh engine with one slot and batches of one, no spill.
        for (var s = 0; s < sequences; s++)
        {
            await using var alone = Serve(ModelUnderTest.Get(name), instances: 1, candidates: 1, maxBatch: 1);
            for (var t = 0; t < steps; t++)
            {
                var expected = await alone.InferAsync(Request(alone, 1, inputs[s, t], t == 0, t == steps - 1), default).AsTask().WaitAsync(HangGuard);
                for (var o = 0; o < expected.Outputs.Count; o++)
                {
                    Assert.True(expected.Outputs[o].Data.Span.SequenceEqual(got[s, t].Outputs[o].Data.Span),
                        $"{name}: sequence {s + 1} step {t} output {expected.Outputs[o].Name} differs after spill");
                }
            }
        }
    }

    [OrtFact]
    public async Task Capped_spill_sends_the_next_sequence_to_the_backlog_and_loses_none()
    {
        // Spill capped at one sequence's state (5 int32 in its spill record): the third live sequence waits, none is lost.
        var m = ModelUnderTest.Get("accumulate_int32");
        await using var model = Serve(m, instances: 1, candidates: 1, maxBatch: 1,
            new BatcherOptions { SpillEnabled = true, SpillMemoryCapBytes = new StateRecordLayout(0, 5 * 4).Size });
        int[] Ones(int v) => Enumerable.Repeat(v, 20).ToArray();
        async Task<int[]> Step(ulong id, int v, bool start = false, bool end = false) =>
            (await model.InferAsync(Request(model, id, [MemoryMarshal.AsBytes(Ones(v).AsSpan()).ToArray()], start, end), default).AsTask().WaitAsync(HangGuard)).Outputs[0].ToArray<int>();

        Assert.Equal(1 + 4, (await Step(1, 1, start: true))[0]);
        Assert.Equal(2 + 8, (await Step(2, 2, start: true))[0]); // spills 1
        var third = Step(3, 3, start: true);                      // cap full: waits
        for (var i = 0; i < 1000 && model.GetStatistics().BackloggedSequences == 0; i++) await Task.Delay(5);
        Assert.Equal(1, model.GetStatistics().BackloggedSequences);
        Assert.False(third.IsCompleted);
        Assert.Equal(2 + 8 + 8, (await Step(2, 2, end: true))[0]);
        Assert.Equal(3 + 12, (await third)[0]);
        await Step(3, 0, end: true);
        Assert.Equal(1 + 4 + 4, (await Step(1, 1, end: true))[0]); // restored, nothing lost
    }
}
