using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using OvStateful.Core.Engines;
using OvStateful.Core.Serving;
using OvStateful.Core.State;

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
    // Invariant: _spilledCount × the spill record size; at most the cap plus what was restored at start.
    private long _spilledBytes;
    // Invariant: number of sequences with a SpillRecord (== _spill.InUse).
    private int _spilledCount;
    private bool _stopping;
    private Task? _stopTask;

    private readonly int _totalSlots;
    private readonly long _idleTicks;
    private long _statelessIds;
    // Spilled and restored states; null when spill is off and nothing is durable.
    private readonly SpillArena? _spill;
    // Durable live sequences (journals, spill files, stamps); null when off.
    private readonly SequenceStateStore? _store;
    // Ids whose saved states were dropped at start, with why; empty unless restarted.
    // Under Lock: a START with such an id begins it anew and takes it off.
    private readonly Dictionary<SequenceId, string> _lost;
    private readonly DateTimeOffset? _restartedAt;
    private readonly int _restoredCount;

    /// <param name="fingerprint">What saved states depend on (with the model file's hash); null = the engines' states only.</param>
    public SequenceBatcher(SequenceBatcherSettings settings, IReadOnlyList<IStatefulEngine> engines, BatcherOptions? options = null, StateFingerprint? fingerprint = null)
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
        _lost = [];
        var stateBytes = SlotStateBytes.Total(first.States);
        if (_options.StateDirectory is { } root && settings.IsSequenceModel)
        {
            var slots = new int[_instances.Length];
            for (var i = 0; i < slots.Length; i++) slots[i] = _instances[i].FreeSlots.Capacity;
            // String ids (up to 64 UTF-8 bytes) need room in every record; uint64-only models keep none.
            var layout = new StateRecordLayout(settings.CorrelationIdKind == CorrelationIdKind.UInt64 ? 0 : 64, stateBytes);
            _store = SequenceStateStore.Open(root, settings.ModelName, settings.ModelVersion, fingerprint ?? StateFingerprint.Of(first.States, null),
                layout, slots, _options.Logger, _options.StateSyncPeriod);
            _spill = _store.Spill;
            _lost = new Dictionary<SequenceId, string>(_store.Lost);
            _restartedAt = _store.RestartedAt;
            _restoredCount = _store.Restored.Count;
            foreach (var inst in _instances) inst.UseJournal(_store.Journal(inst.Index), _store);
        }
        else if (settings.IsSequenceModel)
        {
            // Spill off: an empty arena (no segment) that only a hand-over (DetachAsync/Adopt) grows.
            _spill = new SpillArena(new StateRecordLayout(0, stateBytes), directory: null);
        }
        try
        {
            if (_options.SpillEnabled && _spill is { Capacity: 0 }) _spill.Grow();
            if (_store is not null) Restore(_store.Restored);
        }
        catch
        {
            _store?.Dispose();
            _spill?.Dispose();
            throw;
        }
        foreach (var inst in _instances) inst.Start();
        if (settings.IsSequenceModel) StartReaper();
    }

    /// <summary>Sequences found in the state folder become spilled sequences, idle from now: their next step imports them.</summary>
    private void Restore(IReadOnlyList<RestoredSequence> restored)
    {
        lock (Lock)
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var r in restored)
            {
                var seq = new Sequence(r.Id) { Phase = SequencePhase.Spilled, Started = true, Steps = r.Steps, LastActivity = now };
                _table.Add(r.Id, seq);
                HoldSpill(seq, r.SpillRecord);
                MakeIdle(seq);
            }
            PublishGauges();
        }
    }

    public SequenceBatcherSettings Settings => _settings;
    public BatcherOptions Options => _options;
    public IReadOnlyList<TensorSpec> Inputs { get; }
    public IReadOnlyList<TensorSpec> Outputs { get; }
    /// <summary>Slots over all instances.</summary>
    public int SlotCount => _totalSlots;
    internal ModelMetrics Metrics => _metrics;
    internal SpillArena? Spill => _spill;

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
            return Rejected(InferenceErrorKind.Cancelled, $"model '{ModelName}': the step of sequence {id} was cancelled before it was queued; it changed nothing", arrived);
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
                notFound = $"model '{ModelName}': the step of sequence {id} was cancelled before it was queued; it changed nothing";
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
                else if (BacklogFullMessage(id) is { } full)
                {
                    kind = InferenceErrorKind.ResourceExhausted;
                    notFound = full;
                }
                else
                {
                    if (_lost.Count > 0) _lost.Remove(id);
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
            else if (seq.IsIdle && seq.Phase == SequencePhase.Spilled && BacklogFullMessage(id) is { } full)
            {
                // It would wait behind a full backlog for a slot: refused now, still spilled as it was.
                kind = InferenceErrorKind.ResourceExhausted;
                notFound = full;
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
        string? backlogged = null;
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
                // Waiting for a slot is worth saying: the client learns why its step never ran.
                if (op.Sequence.Phase == SequencePhase.Backlogged) backlogged = WaitReason();
                RemoveQueued(op, ref deferred);
                op.State = StepState.Done;
                complete = true;
            }
            PublishGauges();
        }
        if (complete)
        {
            _metrics.RecordCancelled();
            var message = backlogged is null
                ? $"model '{ModelName}': the step of sequence {id} was cancelled before it ran; it changed nothing"
                : $"model '{ModelName}': the step of sequence {id} was cancelled after {ModelMetrics.ElapsedNs(op.EnqueuedAt, Stopwatch.GetTimestamp()) / 1_000_000} ms in the backlog, waiting for a slot ({backlogged}); it changed nothing";
            FailNow(op, new InferenceException(InferenceErrorKind.Cancelled, message));
        }
        Flush(deferred);
        FlushSignals();
    }

    internal string NotActiveMessage(SequenceId id)
    {
        if (_restartedAt is { } at)
        {
            var when = at.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
            if (_lost.TryGetValue(id, out var why))
                return $"model '{ModelName}': sequence {id} was not restored after the server restarted at {when}: {why}; send its first request with sequence_start";
            return $"model '{ModelName}': sequence {id} is not active (never started, ended, released after {_settings.MaxSequenceIdle.TotalMilliseconds:0.###} ms idle, or not among the {_restoredCount} sequences restored after the server restarted at {when}); send its first request with sequence_start";
        }
        return $"model '{ModelName}': sequence {id} is not active (never started, ended, or released after {_settings.MaxSequenceIdle.TotalMilliseconds:0.###} ms idle); send its first request with sequence_start";
    }

    // Set once, under Lock, by the first StopAsync: why queued steps fail (null = the model alone stops).
    private string? _stopReason;

    internal string ShuttingDownMessage(SequenceId id) => _stopReason is { } why
        ? $"model '{ModelName}': {why}; the step of sequence {id} was not run and changed nothing"
        : $"model '{ModelName}' is shutting down; the step of sequence {id} was not run and changed nothing";

    /// <summary>Under Lock: a sequence about to wait for a slot finds the backlog at its limit.</summary>
    private string? BacklogFullMessage(SequenceId id)
    {
        if (_options.MaxBacklog <= 0 || _backlog.Count < _options.MaxBacklog) return null;
        return $"model '{ModelName}': the backlog is full: {_backlog.Count} sequences already wait for a slot (the limit, MaxBacklog, is {_options.MaxBacklog}; {WaitReason()}); the step of sequence {id} was not queued and changed nothing";
    }

    /// <summary>Under Lock: why sequences wait for a slot now.</summary>
    private string WaitReason()
    {
        var spill = !_options.SpillEnabled ? "spill is off"
            : _spilledBytes + (_spill?.Layout.Size ?? 0) > _options.SpillMemoryCapBytes ? $"the spill cap of {_options.SpillMemoryCapBytes} bytes is reached"
            : "no idle sequence can be spilled";
        return $"all {_totalSlots} slots are busy and {spill}";
    }

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

    // 1 once a too-long string id was reported (once per model is enough to say what is going on).
    private int _notDurableLogged;
    private long _growthFailureLoggedAt;

    /// <summary>A string id longer than a record holds: the sequence runs, but a restart will not bring it back.</summary>
    internal void LogNotDurable(SequenceId id)
    {
        if (Interlocked.Exchange(ref _notDurableLogged, 1) != 0) return;
        _options.Logger?.LogWarning("model '{Model}': sequence id {Id} is longer than the 64 UTF-8 bytes a saved state holds; such sequences are served but not kept across restarts", ModelName, id);
    }

    /// <summary>The spill arena could not grow (disk or memory full): logged at most once a minute.</summary>
    internal void LogSpillGrowthFailed(Exception e)
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _growthFailureLoggedAt);
        if (last != 0 && now - last < 60_000) return;
        Interlocked.Exchange(ref _growthFailureLoggedAt, now);
        _options.Logger?.LogWarning("model '{Model}': the spill arena cannot grow ({Message}); new sequences wait for a slot until room is found", ModelName, e.Message);
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
