using System.Collections.Concurrent;
using System.Diagnostics;
using OvStateful.Core.Engines;
using OvStateful.Core.Serving;

namespace OvStateful.Core.Sequences;

/// <summary>
/// Triton's sequence batcher for one model version's instance group: a router (sequence
/// table: correlation id → slot, FIFO backlog, spill, idle reaper) over one
/// <see cref="InstanceBatcher"/> per engine, each with its own slots and execution thread.
/// <para>
/// Threads and locks: one lock (<see cref="Lock"/>) guards the router's and the instances'
/// bookkeeping; it is held only for pointer moves and arithmetic. Engine calls (Execute,
/// ExportSlot, ImportSlot), copying outputs, completing steps and observer callbacks all
/// happen outside it, on the instance threads (engine work) or on the caller's thread.
/// </para>
/// </summary>
public sealed partial class SequenceBatcher : IAsyncDisposable
{
    /// <summary>
    /// Guards: the sequence table, backlog, idle lists, every instance's free slots, slot
    /// owners, ready list and export list, and the gauges below. Nothing foreign runs under it.
    /// </summary>
    internal readonly Lock Lock = new();

    private readonly SequenceBatcherSettings _settings;
    private readonly BatcherOptions _options;
    private readonly InstanceBatcher[] _instances;
    /// <summary>The one check of every request (sequence id, inputs, outputs) before it is queued.</summary>
    private readonly RequestValidator _validator;
    private readonly ModelMetrics _metrics;
    // Pooled steps; each holds arrays sized for this model's inputs/outputs.
    private readonly ConcurrentQueue<StepOperation> _pool = new();
    private const int MaxPooled = 4096;
    private readonly int _inputCount, _outputCount;

    // --- under Lock ---
    // Invariant: every value is live (Phase != Removed); keys equal values' Id.
    private readonly Dictionary<SequenceId, Sequence> _table = [];
    // Invariant: FIFO of sequences with pending steps and no slot; non-empty only while no slot is free.
    private readonly SequenceList _backlog = new(SequenceListKind.Backlog);
    // Invariant: idle resident sequences in ascending LastActivity (LRU first).
    private readonly SequenceList _idleResident = new(SequenceListKind.IdleResident);
    // Invariant: idle spilled sequences in ascending LastActivity.
    private readonly SequenceList _idleSpilled = new(SequenceListKind.IdleSpilled);
    // Invariant: _slotsInUse + Σ free slots == _totalSlots.
    private int _slotsInUse;
    // Invariant: Σ SpillReservedBytes over sequences holding a spill; <= the cap (an export may exceed its reservation only by the engine's rounding).
    private long _spilledBytes;
    // Invariant: number of sequences with HoldsSpill.
    private int _spilledCount;
    private bool _stopping;
    private Task? _stopTask;

    private readonly int _totalSlots;
    // Bytes one slot's states take (Σ StateSpec.SlotBytes): what an eviction reserves.
    private readonly long _slotStateBytes;
    private readonly long _idleTicks;
    private long _statelessIds;

    public SequenceBatcher(SequenceBatcherSettings settings, IReadOnlyList<IStatefulEngine> engines, BatcherOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(engines);
        if (engines.Count != settings.InstanceCount)
        {
            throw new ArgumentException($"model '{settings.ModelName}': {engines.Count} engines given for {settings.InstanceCount} instances; one engine per instance is expected", nameof(engines));
        }
        _settings = settings;
        _options = options ?? BatcherOptions.Default;
        var first = engines[0];
        CheckSameModel(settings.ModelName, engines);
        Inputs = first.Inputs;
        Outputs = first.Outputs;
        _inputCount = Inputs.Count;
        _outputCount = Outputs.Count;
        // Real engines feed every model input (ModelPlan refuses optional ones), so none may be left out.
        _validator = new RequestValidator(settings.ModelName, Inputs, Outputs, settings.IsSequenceModel, settings.CorrelationIdKind);
        _metrics = new ModelMetrics(settings.ModelName, settings.ModelVersion, settings.MaxBatchSize);
        foreach (var s in first.States) _slotStateBytes += s.SlotBytes;
        _idleTicks = TicksOf(settings.MaxSequenceIdle);

        _instances = new InstanceBatcher[engines.Count];
        for (var i = 0; i < engines.Count; i++)
        {
            var e = engines[i];
            var slots = Math.Min(e.SlotCount, settings.SlotsForInstance(i));
            if (slots < 1) throw new ArgumentException($"model '{settings.ModelName}': engine of instance {i} has no slots", nameof(engines));
            var capacity = Math.Max(1, Math.Min(Math.Min(settings.MaxBatchSize, e.MaxBatchSize), slots));
            IBatchPolicy policy = settings.Strategy == BatchingStrategy.Oldest || !settings.IsSequenceModel
                ? new OldestBatchPolicy(settings.PreferredBatchSizes, TicksOf(settings.MaxQueueDelay))
                : new DirectBatchPolicy(settings.MinimumSlotUtilization, slots, TicksOf(settings.MaxQueueDelay));
            _instances[i] = new InstanceBatcher(this, i, e, slots, capacity, policy);
            _totalSlots += slots;
        }
        foreach (var inst in _instances) inst.Start();
        if (settings.IsSequenceModel) StartReaper();
    }

    public SequenceBatcherSettings Settings => _settings;
    public BatcherOptions Options => _options;
    public IReadOnlyList<TensorSpec> Inputs { get; }
    public IReadOnlyList<TensorSpec> Outputs { get; }
    /// <summary>Slots over all instances.</summary>
    public int SlotCount => _totalSlots;
    internal ModelMetrics Metrics => _metrics;

    /// <summary>Steps queued and not yet taken into a batch.</summary>
    public long PendingSteps => _metrics.PendingRequests;
    internal string ModelName => _settings.ModelName;
    internal bool Stopping => _stopping;

    /// <summary>
    /// Runs one step. Completes with the step's outputs, or fails with an
    /// <see cref="InferenceException"/>: InvalidArgument (bad inputs or sequence id),
    /// NotFound (a step without START for a sequence that is not active), Cancelled,
    /// Unavailable (shutting down) or Internal (the engine failed).
    /// </summary>
    public ValueTask<InferenceResponse> InferAsync(InferenceRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var arrived = Stopwatch.GetTimestamp();
        SequenceId id;
        StepFlags flags;
        if (_settings.IsSequenceModel)
        {
            id = request.SequenceId;
            if (_validator.CheckSequenceId(id) is { } idError) return Rejected(InferenceErrorKind.InvalidArgument, idError, arrived);
            flags = (request.SequenceStart ? StepFlags.Start : StepFlags.None) | (request.SequenceEnd ? StepFlags.End : StepFlags.None);
        }
        else
        {
            // Stateless: each request is a one-step sequence of its own (START|END) in a private id space.
            id = new SequenceId((ulong)Interlocked.Increment(ref _statelessIds));
            flags = StepFlags.Start | StepFlags.End;
        }
        if (Volatile.Read(ref _stopping)) return Rejected(InferenceErrorKind.Unavailable, ShuttingDownMessage(id), arrived);
        if (cancellationToken.IsCancellationRequested)
        {
            _metrics.RecordCancelled();
            return Rejected(InferenceErrorKind.Cancelled, $"model '{ModelName}': the step of sequence {id} was cancelled before it was queued", arrived);
        }

        var op = RentOperation();
        var bindError = _validator.Bind(request.Inputs, op.Inputs) ?? _validator.BindOutputs(request.RequestedOutputs, op.WantOutput);
        if (bindError is not null)
        {
            op.Recycle();
            return Rejected(InferenceErrorKind.InvalidArgument, _settings.IsSequenceModel ? $"{bindError} (sequence {id})" : bindError, arrived);
        }
        op.Flags = flags;
        op.RequestId = request.RequestId;
        op.EnqueuedAt = arrived;
        if (cancellationToken.CanBeCanceled) op.Registration = cancellationToken.UnsafeRegister(static s => ((StepOperation)s!).Owner.Cancel((StepOperation)s), op);
        var version = op.Version;
        Enqueue(op, id);
        return new ValueTask<InferenceResponse>(op, version);
    }

    public ModelStatistics GetStatistics()
    {
        var gauges = new SequenceGauges(
            Volatile.Read(ref _activeCount),
            Volatile.Read(ref _backlogCount),
            Volatile.Read(ref _spilledCount),
            Interlocked.Read(ref _spilledBytes),
            _totalSlots,
            Volatile.Read(ref _slotsInUse));
        return _metrics.Snapshot(gauges);
    }

    // Gauges mirrored for lock-free reads (written under Lock).
    private int _activeCount, _backlogCount;

    private void Enqueue(StepOperation op, SequenceId id)
    {
        string? notFound = null;
        InferenceErrorKind kind = InferenceErrorKind.NotFound;
        var started = false;
        DeferredWork? deferred = null;
        lock (Lock)
        {
            AssertInvariants();
            if (op.State == StepState.Cancelled)
            {
                kind = InferenceErrorKind.Cancelled;
                notFound = $"model '{ModelName}': the step of sequence {id} was cancelled before it was queued";
            }
            else if (_stopping)
            {
                kind = InferenceErrorKind.Unavailable;
                notFound = ShuttingDownMessage(id);
            }
            else if (!_table.TryGetValue(id, out var seq))
            {
                if (!op.IsStart)
                {
                    notFound = NotActiveMessage(id);
                }
                else
                {
                    seq = new Sequence(id) { LastActivity = op.EnqueuedAt };
                    _table.Add(id, seq);
                    started = true;
                    seq.Append(op);
                    op.State = StepState.Queued;
                    RequestSlot(seq);
                }
            }
            else if (!op.IsStart && seq.EndSent)
            {
                notFound = $"model '{ModelName}': sequence {id} has already been sent its END; send a request with sequence_start to begin it again";
            }
            else
            {
                // A START on a live sequence restarts it: it queues behind the steps sent
                // before it and runs with the Start flag, which resets the slot's state.
                var wasIdle = seq.IsIdle;
                seq.Append(op);
                op.State = StepState.Queued;
                seq.LastActivity = op.EnqueuedAt;
                if (wasIdle) OnBecameBusy(seq);
            }
            if (notFound is not null) op.State = StepState.Done;
            PublishGauges();
        }
        if (notFound is not null)
        {
            if (kind == InferenceErrorKind.Cancelled) _metrics.RecordCancelled();
            FailNow(op, new InferenceException(kind, notFound));
        }
        if (started) NotifyStarted(id);
        Flush(deferred);
        FlushSignals();
    }

    /// <summary>Cancellation callback: a step still queued is removed and fails as cancelled; one already in a batch runs.</summary>
    private void Cancel(StepOperation op)
    {
        var complete = false;
        SequenceId id = default;
        DeferredWork? deferred = null;
        lock (Lock)
        {
            AssertInvariants();
            if (op.State == StepState.Created)
            {
                op.State = StepState.Cancelled; // Enqueue sees it and fails the step.
            }
            else if (op.State == StepState.Queued)
            {
                id = op.Sequence!.Id;
                RemoveQueued(op, ref deferred);
                op.State = StepState.Done;
                complete = true;
            }
            PublishGauges();
        }
        if (complete)
        {
            _metrics.RecordCancelled();
            FailNow(op, new InferenceException(InferenceErrorKind.Cancelled, $"model '{ModelName}': the step of sequence {id} was cancelled before it ran"));
        }
        Flush(deferred);
        FlushSignals();
    }

    internal string NotActiveMessage(SequenceId id) =>
        $"model '{ModelName}': sequence {id} is not active (never started, ended, or released after {_settings.MaxSequenceIdle.TotalMilliseconds:0.###} ms idle); send its first request with sequence_start";

    internal string ShuttingDownMessage(SequenceId id) => $"model '{ModelName}' is shutting down; the step of sequence {id} was not run";

    private ValueTask<InferenceResponse> Rejected(InferenceErrorKind kind, string message, long arrived)
    {
        _metrics.RecordFailure(ModelMetrics.ElapsedNs(arrived, Stopwatch.GetTimestamp()));
        return ValueTask.FromException<InferenceResponse>(new InferenceException(kind, message));
    }

    private void FailNow(StepOperation op, Exception error)
    {
        _metrics.RecordFailure(ModelMetrics.ElapsedNs(op.EnqueuedAt, Stopwatch.GetTimestamp()));
        op.Fail(error);
    }

    private StepOperation RentOperation() =>
        _pool.TryDequeue(out var op) ? op : new StepOperation(this, _inputCount, _outputCount);

    internal void ReturnOperation(StepOperation op)
    {
        if (_pool.Count < MaxPooled) _pool.Enqueue(op);
    }

    /// <summary>Completes deferred failures and tells the observer, outside the lock.</summary>
    internal void Flush(DeferredWork? work)
    {
        if (work is null) return;
        foreach (var op in work.Failed) FailNow(op, op.Error!);
        work.Failed.Clear();
        foreach (var (id, reason) in work.Ended)
        {
            if (reason == SequenceEndReason.IdleTimeout) _metrics.RecordExpired();
            _options.Observer?.SequenceEnded(ModelName, id, reason);
        }
        work.Ended.Clear();
        foreach (var id in work.Spilled) _options.Observer?.SequenceSpilled(ModelName, id);
        work.Spilled.Clear();
        foreach (var id in work.Restored) _options.Observer?.SequenceRestored(ModelName, id);
        work.Restored.Clear();
    }

    internal void NotifyStarted(SequenceId id) => _options.Observer?.SequenceStarted(ModelName, id);

    /// <summary>Wakes the instance loops (and the reaper) that a locked section marked, outside the lock.</summary>
    internal void FlushSignals()
    {
        foreach (var inst in _instances)
        {
            if (Interlocked.Exchange(ref inst.SignalPending, 0) != 0) inst.Wake();
        }
        if (Interlocked.Exchange(ref _reaperSignal, 0) != 0) _reaperWake.Set();
    }

    private static long TicksOf(TimeSpan t) =>
        t <= TimeSpan.Zero ? 0 : t.TotalSeconds * Stopwatch.Frequency >= long.MaxValue / 4 ? long.MaxValue / 4 : (long)(t.TotalSeconds * Stopwatch.Frequency);

    private static void CheckSameModel(string model, IReadOnlyList<IStatefulEngine> engines)
    {
        var a = engines[0];
        for (var i = 1; i < engines.Count; i++)
        {
            var b = engines[i];
            if (!SameSpecs(a.Inputs, b.Inputs) || !SameSpecs(a.Outputs, b.Outputs) || a.States.Count != b.States.Count)
            {
                throw new ArgumentException($"model '{model}': the engine of instance {i} has other inputs, outputs or states than instance 0; all instances must load the same model");
            }
        }
    }

    private static bool SameSpecs(IReadOnlyList<TensorSpec> a, IReadOnlyList<TensorSpec> b)
    {
        if (a.Count != b.Count) return false;
        for (var i = 0; i < a.Count; i++)
        {
            if (a[i].Name != b[i].Name || a[i].DataType != b[i].DataType || !a[i].RequestShape.AsSpan().SequenceEqual(b[i].RequestShape)) return false;
        }
        return true;
    }
}
