using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Tests.Sequences;

/// <summary>A batcher over <see cref="RunningSumTestEngine"/>s, plus request helpers.</summary>
internal sealed class BatcherHarness : IAsyncDisposable
{
    public const string Model = "running_sum";
    /// <summary>Bound on waits so a bug shows as a failure, never a hang (not a timing assertion).</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    public required SequenceBatcher Batcher { get; init; }
    public required RunningSumTestEngine[] Engines { get; init; }
    public int Width { get; init; }

    public static BatcherHarness Create(
        BatchingStrategy strategy = BatchingStrategy.Oldest,
        int instances = 1,
        int slotsPerInstance = 2,
        int maxBatch = 2,
        TimeSpan? idle = null,
        BatcherOptions? options = null,
        CorrelationIdKind idKind = CorrelationIdKind.Any,
        int width = 4,
        Func<SequenceBatcherSettings, SequenceBatcherSettings>? tweak = null,
        bool padding = false)
    {
        var settings = new SequenceBatcherSettings
        {
            ModelName = Model,
            ModelVersion = "1",
            Strategy = strategy,
            MaxBatchSize = maxBatch,
            InstanceCount = instances,
            MaxCandidateSequences = slotsPerInstance * instances,
            MaxSequenceIdle = idle ?? TimeSpan.FromMinutes(10),
            CorrelationIdKind = idKind,
        };
        if (tweak is not null) settings = tweak(settings);
        var engines = new RunningSumTestEngine[instances];
        for (var i = 0; i < instances; i++) engines[i] = new RunningSumTestEngine(settings.SlotsForInstance(i), maxBatch, width, feedsPaddingRows: padding);
        return new BatcherHarness { Batcher = new SequenceBatcher(settings, engines, options), Engines = engines, Width = width };
    }

    public float[] X(float value)
    {
        var x = new float[Width];
        for (var i = 0; i < Width; i++) x[i] = value + i;
        return x;
    }

    public InferenceRequest Request(SequenceId id, float value, bool start = false, bool end = false) => new()
    {
        ModelName = Model,
        SequenceId = id,
        SequenceStart = start,
        SequenceEnd = end,
        Inputs = [Tensor.FromArray("x", DataType.Fp32, [1, Width], X(value))],
    };

    public Task<InferenceResponse> Step(ulong id, float value, bool start = false, bool end = false, CancellationToken ct = default) =>
        Batcher.InferAsync(Request(new SequenceId(id), value, start, end), ct).AsTask();

    public static float[] Sum(InferenceResponse r) => r.Outputs[0].ToArray<float>();
    public static long Steps(InferenceResponse r) => r.Outputs[1].ToArray<long>()[0];

    public static async Task<InferenceException> Fails(Task t)
    {
        var ex = await Assert.ThrowsAsync<InferenceException>(() => t.WaitAsync(HangGuard));
        return ex;
    }

    public static async Task<T> Done<T>(Task<T> t) => await t.WaitAsync(HangGuard);

    /// <summary>Polls until <paramref name="condition"/> holds; fails after the hang guard.</summary>
    public static async Task WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + HangGuard;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"never happened: {what}");
            await Task.Delay(5);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Batcher.StopAsync().WaitAsync(HangGuard);
        foreach (var e in Engines) Assert.False(e.ConcurrentCallSeen, "two threads were inside one engine at once");
    }
}
