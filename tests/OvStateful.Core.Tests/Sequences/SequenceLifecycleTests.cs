using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using static OvStateful.Core.Tests.Sequences.BatcherHarness;

namespace OvStateful.Core.Tests.Sequences;

public class SequenceLifecycleTests
{
    [Theory]
    [InlineData(BatchingStrategy.Oldest)]
    [InlineData(BatchingStrategy.Direct)]
    public async Task Steps_accumulate_in_order_and_END_frees_the_slot(BatchingStrategy strategy)
    {
        await using var h = Create(strategy, slotsPerInstance: 1, maxBatch: 1);
        var r1 = await Done(h.Step(7, 1, start: true));
        var r2 = await Done(h.Step(7, 10));
        var r3 = await Done(h.Step(7, 100, end: true));
        Assert.Equal(new float[] { 1, 2, 3, 4 }, Sum(r1));
        Assert.Equal(new float[] { 11, 13, 15, 17 }, Sum(r2));
        Assert.Equal(new float[] { 111, 114, 117, 120 }, Sum(r3));
        Assert.Equal(3, Steps(r3));
        Assert.Equal(0, h.Batcher.GetStatistics().SlotsInUse);
        Assert.Equal(0, h.Batcher.GetStatistics().ActiveSequences);
        // The one slot is free again for a new sequence.
        Assert.Equal(1, Steps(await Done(h.Step(8, 1, start: true))));
        Assert.Null(h.Batcher.CheckConsistency());
    }

    [Fact]
    public async Task START_on_a_live_sequence_restarts_it()
    {
        await using var h = Create();
        await Done(h.Step(5, 1, start: true));
        await Done(h.Step(5, 2));
        var restarted = await Done(h.Step(5, 5, start: true));
        Assert.Equal(h.X(5), Sum(restarted));
        Assert.Equal(1, Steps(restarted));
        Assert.Equal(1, h.Batcher.GetStatistics().ActiveSequences);
    }

    [Fact]
    public async Task A_step_without_START_for_an_unknown_sequence_fails_naming_model_and_id()
    {
        await using var h = Create();
        var ex = await Fails(h.Step(42, 1));
        Assert.Equal(InferenceErrorKind.NotFound, ex.Kind);
        Assert.Contains("'running_sum'", ex.Message);
        Assert.Contains("sequence 42", ex.Message);
        Assert.Contains("sequence_start", ex.Message);
    }

    [Fact]
    public async Task A_step_after_END_without_START_fails()
    {
        await using var h = Create();
        await Done(h.Step(3, 1, start: true, end: true));
        var ex = await Fails(h.Step(3, 1));
        Assert.Equal(InferenceErrorKind.NotFound, ex.Kind);
        Assert.Contains("sequence 3", ex.Message);
    }

    [Fact]
    public async Task Sequence_id_zero_and_empty_string_are_rejected()
    {
        await using var h = Create();
        var zero = await Fails(h.Step(0, 1, start: true));
        Assert.Equal(InferenceErrorKind.InvalidArgument, zero.Kind);
        Assert.Contains("nonzero sequence_id", zero.Message);
        var empty = await Fails(h.Batcher.InferAsync(h.Request(new SequenceId(""), 1, start: true), default).AsTask());
        Assert.Equal(InferenceErrorKind.InvalidArgument, empty.Kind);
        Assert.Contains("empty string", empty.Message);
    }

    [Fact]
    public async Task The_wrong_kind_of_sequence_id_is_rejected_and_the_right_one_served()
    {
        await using (var numeric = Create(idKind: CorrelationIdKind.UInt64))
        {
            var ex = await Fails(numeric.Batcher.InferAsync(numeric.Request(new SequenceId("abc"), 1, start: true), default).AsTask());
            Assert.Equal(InferenceErrorKind.InvalidArgument, ex.Kind);
            Assert.Contains("takes uint64 sequence ids", ex.Message);
            Assert.Contains("\"abc\"", ex.Message);
            await Done(numeric.Step(1, 1, start: true));
        }
        await using (var text = Create(idKind: CorrelationIdKind.String))
        {
            var ex = await Fails(text.Step(12, 1, start: true));
            Assert.Contains("takes string sequence ids", ex.Message);
            Assert.Contains("12", ex.Message);
            var ok = await Done(text.Batcher.InferAsync(text.Request(new SequenceId("abc"), 1, start: true), default).AsTask());
            Assert.Equal(text.X(1), Sum(ok));
        }
    }

    public static TheoryData<string, InferenceRequest, string> BadRequests()
    {
        static InferenceRequest R(params Tensor[] t) => new() { ModelName = Model, SequenceId = new SequenceId(1), SequenceStart = true, Inputs = t };
        var good = Tensor.FromArray("x", DataType.Fp32, [1, 4], new float[4]);
        return new TheoryData<string, InferenceRequest, string>
        {
            { "missing", R(), "input 'x' is missing; expected FP32 [1, 4]" },
            { "extra", R(good, Tensor.FromArray("y", DataType.Fp32, [1, 4], new float[4])), "unexpected input 'y': model" },
            { "dup", R(good, good), "input 'x' is given more than once" },
            { "dtype", R(Tensor.FromArray("x", DataType.Int32, [1, 4], new int[4])), "has datatype INT32; model" },
            { "shape", R(Tensor.FromArray("x", DataType.Fp32, [4], new float[4])), "has shape [4]; model" },
            { "bytes", R(new Tensor("x", DataType.Fp32, [1, 4], new byte[12])), "input byte size mismatch for input 'x' for model" },
            { "output", new InferenceRequest { ModelName = Model, SequenceId = new SequenceId(1), SequenceStart = true, Inputs = [good], RequestedOutputs = ["nope"] }, "has no output 'nope'" },
        };
    }

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task A_bad_request_fails_alone_with_a_message_naming_the_field(string _, InferenceRequest bad, string expected)
    {
        await using var h = Create();
        await Done(h.Step(9, 1, start: true));
        var ex = await Fails(h.Batcher.InferAsync(bad, default).AsTask());
        Assert.Equal(InferenceErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains(expected, ex.Message);
        Assert.Contains("'running_sum'", ex.Message);
        // The bad request neither started sequence 1 nor disturbed sequence 9.
        Assert.Equal(1, h.Batcher.GetStatistics().ActiveSequences);
        Assert.Equal(2, Steps(await Done(h.Step(9, 1))));
    }

    [Fact]
    public async Task Requested_outputs_select_what_the_response_carries()
    {
        await using var h = Create();
        var req = new InferenceRequest
        {
            ModelName = Model, SequenceId = new SequenceId(1), SequenceStart = true, RequestId = "r-1",
            Inputs = [Tensor.FromArray("x", DataType.Fp32, [1, 4], h.X(2))], RequestedOutputs = ["steps"],
        };
        var r = await Done(h.Batcher.InferAsync(req, default).AsTask());
        Assert.Equal("r-1", r.RequestId);
        Assert.Equal("1", r.ModelVersion);
        var only = Assert.Single(r.Outputs);
        Assert.Equal("steps", only.Name);
        Assert.Equal(new long[] { 1, 1 }, only.Shape);
    }

    [Fact]
    public async Task An_idle_sequence_is_released_and_its_slot_goes_to_the_backlog()
    {
        var ended = new RecordingObserver();
        await using var h = Create(slotsPerInstance: 1, maxBatch: 1, idle: TimeSpan.FromMilliseconds(50), options: new BatcherOptions { Observer = ended });
        await Done(h.Step(1, 1, start: true));
        // Sequence 2 waits for the only slot until sequence 1 times out.
        var second = await Done(h.Step(2, 5, start: true));
        Assert.Equal(h.X(5), Sum(second));
        await WaitUntil(() => ended.Ended.Contains((new SequenceId(1), SequenceEndReason.IdleTimeout)), "sequence 1 expired");
        var ex = await Fails(h.Step(1, 1));
        Assert.Equal(InferenceErrorKind.NotFound, ex.Kind);
        Assert.Contains("sequence 1 is not active", ex.Message);
        Assert.Contains("idle", ex.Message);
        await WaitUntil(() => h.Batcher.GetStatistics().ExpiredSequences >= 2, "sequence 2 expired too");
        Assert.Equal(0, h.Batcher.GetStatistics().SlotsInUse);
        Assert.Null(h.Batcher.CheckConsistency());
    }

    [Fact]
    public async Task An_engine_failure_fails_its_batch_and_changes_no_state()
    {
        await using var h = Create(slotsPerInstance: 1, maxBatch: 1);
        await Done(h.Step(1, 1, start: true));
        var ex = await Fails(h.Step(1, float.NaN));
        Assert.Equal(InferenceErrorKind.Internal, ex.Kind);
        Assert.Contains("sequence 1", ex.Message);
        Assert.Contains("'running_sum'", ex.Message);
        var next = await Done(h.Step(1, 1));
        Assert.Equal(2, Steps(next));
        Assert.Equal(new float[] { 2, 4, 6, 8 }, Sum(next));
        var stats = h.Batcher.GetStatistics();
        Assert.Equal(1UL, stats.Fail.Count);
        Assert.Equal(2UL, stats.Success.Count);
    }

    [Fact]
    public async Task A_failed_START_still_starts_from_the_initial_state_next_time()
    {
        await using var h = Create(slotsPerInstance: 1, maxBatch: 1);
        await Done(h.Step(1, 7, start: true, end: true));
        // The slot still holds sequence 1's last sum; sequence 2's START fails in the engine.
        await Fails(h.Step(2, float.NaN, start: true));
        var r = await Done(h.Step(2, 1));
        Assert.Equal(h.X(1), Sum(r));
        Assert.Equal(1, Steps(r));
    }

    [Fact]
    public async Task Observer_hears_start_and_end_outside_the_lock()
    {
        SequenceBatcher? batcher = null;
        var observer = new RecordingObserver { OnCall = () => Assert.False(batcher!.Lock.IsHeldByCurrentThread, "observer called under the batcher's lock") };
        await using var h = Create(options: new BatcherOptions { Observer = observer });
        batcher = h.Batcher;
        await Done(h.Step(4, 1, start: true));
        await Done(h.Step(4, 1, end: true));
        Assert.Contains(new SequenceId(4), observer.Started);
        Assert.Contains((new SequenceId(4), SequenceEndReason.End), observer.Ended);
        Assert.Equal(0, observer.LockViolations);
    }
}

internal sealed class RecordingObserver : ISequenceLifecycleObserver
{
    private readonly object _gate = new();
    public List<SequenceId> StartedList { get; } = [];
    public List<(SequenceId, SequenceEndReason)> EndedList { get; } = [];
    public Action? OnCall { get; init; }
    public int LockViolations;

    public SequenceId[] Started { get { lock (_gate) return [.. StartedList]; } }
    public (SequenceId, SequenceEndReason)[] Ended { get { lock (_gate) return [.. EndedList]; } }

    public void SequenceStarted(string modelName, SequenceId id)
    {
        Check();
        lock (_gate) StartedList.Add(id);
    }

    public void SequenceEnded(string modelName, SequenceId id, SequenceEndReason reason)
    {
        Check();
        lock (_gate) EndedList.Add((id, reason));
    }

    private void Check()
    {
        try { OnCall?.Invoke(); }
        catch { Interlocked.Increment(ref LockViolations); }
    }
}
