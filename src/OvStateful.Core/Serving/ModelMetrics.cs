using System.Diagnostics;

namespace OvStateful.Core.Serving;

/// <summary>
/// A model version's counters, updated with Interlocked from the batcher threads (no
/// lock), read into a <see cref="ModelStatistics"/> on demand. Times are nanoseconds.
/// </summary>
public sealed class ModelMetrics
{
    private readonly string _name;
    private readonly string _version;
    private long _lastInferenceMs;
    private long _inferenceCount, _executionCount;
    private long _successCount, _successNs, _failCount, _failNs, _queueCount, _queueNs;
    // Per request, as Triton's inference_stats count them: every inferred request adds its
    // batch's whole phase time, so Σ / requests is the time a request spent in each phase
    // (what perf_analyzer's server-side breakdown divides). _computeRequests counts them.
    private long _computeRequests, _inputNs, _inferNs, _outputNs;
    private long _spills, _restores, _expired, _cancelled, _handOvers, _adopted;
    // Steps queued and not yet taken into a batch (Triton's pending requests); changed under the batcher's lock, read without it.
    private long _pending;
    // Recent durations for the latency summaries: requests (success and failure), queue, and each compute phase per execution.
    private readonly LatencyWindow _requestWindow = new(), _queueWindow = new(), _inputWindow = new(), _inferWindow = new(), _outputWindow = new();
    // Per batch size b (index b, 1..max): executions and phase times. Index 0 unused.
    private readonly long[] _batchCount, _batchInputNs, _batchInferNs, _batchOutputNs;

    public ModelMetrics(string name, string version, int maxBatchSize)
    {
        _name = name;
        _version = version;
        var n = Math.Max(1, maxBatchSize) + 1;
        _batchCount = new long[n];
        _batchInputNs = new long[n];
        _batchInferNs = new long[n];
        _batchOutputNs = new long[n];
    }

    public static long ElapsedNs(long fromTimestamp, long toTimestamp) =>
        (long)((toTimestamp - fromTimestamp) * (1_000_000_000.0 / Stopwatch.Frequency));

    public void RecordQueue(long ns)
    {
        Interlocked.Increment(ref _queueCount);
        Interlocked.Add(ref _queueNs, ns);
        _queueWindow.Record(ns);
    }

    public void RecordSuccess(long ns)
    {
        Interlocked.Increment(ref _successCount);
        Interlocked.Add(ref _successNs, ns);
        _requestWindow.Record(ns);
    }

    public void RecordFailure(long ns)
    {
        Interlocked.Increment(ref _failCount);
        Interlocked.Add(ref _failNs, ns);
        _requestWindow.Record(ns);
    }

    /// <summary>One engine execution of <paramref name="size"/> steps, <paramref name="inferred"/> of them inferred.</summary>
    public void RecordBatch(int size, int inferred, long inputNs, long inferNs, long outputNs)
    {
        Interlocked.Increment(ref _executionCount);
        Interlocked.Add(ref _inferenceCount, inferred);
        Interlocked.Add(ref _computeRequests, inferred);
        Interlocked.Add(ref _inputNs, inputNs * inferred);
        Interlocked.Add(ref _inferNs, inferNs * inferred);
        Interlocked.Add(ref _outputNs, outputNs * inferred);
        _inputWindow.Record(inputNs);
        _inferWindow.Record(inferNs);
        _outputWindow.Record(outputNs);
        Interlocked.Exchange(ref _lastInferenceMs, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        if ((uint)size < (uint)_batchCount.Length)
        {
            Interlocked.Increment(ref _batchCount[size]);
            Interlocked.Add(ref _batchInputNs[size], inputNs);
            Interlocked.Add(ref _batchInferNs[size], inferNs);
            Interlocked.Add(ref _batchOutputNs[size], outputNs);
        }
    }

    /// <summary>A step joined (+1) or left (-1) a sequence's queue.</summary>
    public void AdjustPending(int delta) => Interlocked.Add(ref _pending, delta);

    /// <summary>Steps queued and not yet running.</summary>
    public long PendingRequests => Interlocked.Read(ref _pending);

    public void RecordSpill() => Interlocked.Increment(ref _spills);
    public void RecordRestore() => Interlocked.Increment(ref _restores);
    public void RecordHandOver() => Interlocked.Increment(ref _handOvers);
    public void RecordAdopted() => Interlocked.Increment(ref _adopted);
    public void RecordExpired() => Interlocked.Increment(ref _expired);
    public void RecordCancelled() => Interlocked.Increment(ref _cancelled);

    /// <summary>Executions of each batch size so far (index = size); a copy.</summary>
    public long[] BatchSizeHistogram()
    {
        var h = new long[_batchCount.Length];
        for (var i = 0; i < h.Length; i++) h[i] = Interlocked.Read(ref _batchCount[i]);
        return h;
    }

    /// <summary>The counters now, plus the sequence gauges the batcher passes in.</summary>
    public ModelStatistics Snapshot(SequenceGauges gauges)
    {
        var batches = new List<BatchStatistics>();
        for (var b = 1; b < _batchCount.Length; b++)
        {
            var c = (ulong)Interlocked.Read(ref _batchCount[b]);
            if (c == 0) continue;
            batches.Add(new BatchStatistics(b,
                new StatisticDuration(c, (ulong)Interlocked.Read(ref _batchInputNs[b])),
                new StatisticDuration(c, (ulong)Interlocked.Read(ref _batchInferNs[b])),
                new StatisticDuration(c, (ulong)Interlocked.Read(ref _batchOutputNs[b]))));
        }
        var executions = (ulong)Interlocked.Read(ref _executionCount);
        var computed = (ulong)Interlocked.Read(ref _computeRequests);
        return new ModelStatistics
        {
            Name = _name,
            Version = _version,
            LastInference = (ulong)Interlocked.Read(ref _lastInferenceMs),
            InferenceCount = (ulong)Interlocked.Read(ref _inferenceCount),
            ExecutionCount = executions,
            Success = Duration(ref _successCount, ref _successNs),
            Fail = Duration(ref _failCount, ref _failNs),
            Queue = Duration(ref _queueCount, ref _queueNs),
            ComputeInput = new StatisticDuration(computed, (ulong)Interlocked.Read(ref _inputNs)),
            ComputeInfer = new StatisticDuration(computed, (ulong)Interlocked.Read(ref _inferNs)),
            ComputeOutput = new StatisticDuration(computed, (ulong)Interlocked.Read(ref _outputNs)),
            BatchStats = batches,
            ActiveSequences = gauges.Active,
            BackloggedSequences = gauges.Backlogged,
            SpilledSequences = gauges.Spilled,
            SpilledBytes = gauges.SpilledBytes,
            SlotCount = gauges.SlotCount,
            SlotsInUse = gauges.SlotsInUse,
            SpillCount = (ulong)Interlocked.Read(ref _spills),
            RestoreCount = (ulong)Interlocked.Read(ref _restores),
            HandOverCount = (ulong)Interlocked.Read(ref _handOvers),
            AdoptCount = (ulong)Interlocked.Read(ref _adopted),
            ExpiredSequences = (ulong)Interlocked.Read(ref _expired),
            CancelledCount = (ulong)Interlocked.Read(ref _cancelled),
            PendingRequests = Interlocked.Read(ref _pending),
            Latencies = new LatencyQuantiles(_requestWindow.QuantilesNs(), _queueWindow.QuantilesNs(), _inputWindow.QuantilesNs(), _inferWindow.QuantilesNs(), _outputWindow.QuantilesNs()),
        };
    }

    private static StatisticDuration Duration(ref long count, ref long ns) =>
        new((ulong)Interlocked.Read(ref count), (ulong)Interlocked.Read(ref ns));
}

/// <summary>The batcher's sequence gauges at one moment.</summary>
public readonly record struct SequenceGauges(long Active, long Backlogged, long Spilled, long SpilledBytes, int SlotCount, int SlotsInUse);
