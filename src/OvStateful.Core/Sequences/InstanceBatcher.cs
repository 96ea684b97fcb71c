using System.Diagnostics;
using OvStateful.Core.Engines;
using OvStateful.Core.Serving;
using OvStateful.Core.State;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Sequences;

/// <summary>
/// One model instance: its engine, its slots and its execution thread. The loop takes a
/// batch under the batcher's lock (pointer moves only), then outside it runs the queued
/// spill exports, the imports of restored sequences and <see cref="IStatefulEngine.Execute"/>,
/// copies the outputs into responses, records the results under the lock and completes the
/// steps after releasing it. Only this thread calls the engine (engines are single-caller).
/// Forming and executing a batch reuses every buffer here: no allocation per step beyond
/// the response.
/// </summary>
internal sealed class InstanceBatcher
{
    private readonly SequenceBatcher _owner;
    private readonly IBatchPolicy _policy;
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly DeferredWork _deferred = new();

    // --- under the batcher's Lock ---
    /// <summary>Free slots; invariant: slot s is here iff Owners[s] is null.</summary>
    public readonly SlotHeap FreeSlots;
    /// <summary>Owners[s]: the Resident sequence holding slot s, or null.</summary>
    public readonly Sequence?[] Owners;
    /// <summary>Resident sequences with a pending step and none in flight, ordered by their head step's age.</summary>
    public readonly SequenceList Ready = new(SequenceListKind.Ready);
    /// <summary>Evicted slots whose state this loop must export before the slot runs anything else.</summary>
    public List<PendingExport> Exports = [];
    /// <summary>1 when a locked section queued work for this loop; the section's caller wakes it after unlocking.</summary>
    public int SignalPending;

    // --- owned by the loop thread only (reused every batch) ---
    private List<PendingExport> _exportsTaken = [];
    private readonly List<Exception?> _exportErrors = [];
    // Durable: this instance's slot records (null when durable state is off). Set before Start.
    private SlotJournal? _journal;
    private SequenceStateStore? _store;
    private readonly StepBatch _batch;
    private readonly StepOperation[] _ops;
    private readonly int[] _slots;
    private readonly StepFlags[] _flags;
    private readonly SequenceId[] _ids;
    private readonly int[] _entries;            // batch entry of _ops[i], -1 when it did not run
    private readonly bool[] _hadStart;          // _ops[i] ran with Start (to re-arm the reset if the engine fails)
    // Responses this loop fills; their owners (the callers the steps answer) give them back from any thread.
    private readonly ResponsePool _responses;
    private readonly int[] _imports;            // spill record to import into _slots[i] before the batch, -1 for none
    private readonly bool[] _importFailed;
    private readonly long[] _steps;             // the sequence's step count once _ops[i] has run
    // True for the direct strategy on an engine that takes padding rows: batch row r is slot r (Triton's direct batches).
    private readonly bool _rowsAreSlots;
    // Direct only, scratch per batch: _bySlot[s] = the _ops index of slot s's step, or -1 (a padding row).
    private readonly int[] _bySlot;

    public InstanceBatcher(SequenceBatcher owner, int index, IStatefulEngine engine, int slotCount, int capacity, IBatchPolicy policy)
    {
        _owner = owner;
        Index = index;
        Engine = engine;
        _policy = policy;
        FreeSlots = new SlotHeap(slotCount);
        Owners = new Sequence?[slotCount];
        _batch = new StepBatch(capacity, engine.Inputs.Count, engine.Outputs.Count);
        _ops = new StepOperation[capacity];
        _slots = new int[capacity];
        _flags = new StepFlags[capacity];
        _ids = new SequenceId[capacity];
        _entries = new int[capacity];
        _hadStart = new bool[capacity];
        _imports = new int[capacity];
        _imports.AsSpan().Fill(-1);
        _importFailed = new bool[capacity];
        _steps = new long[capacity];
        _responses = new ResponsePool(engine.Outputs, Math.Max(64, 2 * slotCount));
        _rowsAreSlots = policy.RowsAreSlots && engine.FeedsPaddingRows;
        _bySlot = new int[_rowsAreSlots ? slotCount : 0];
    }

    public int Index { get; }
    public IStatefulEngine Engine { get; }
    public int Capacity => _batch.Capacity;
    public Task Exited => _exited.Task;

    /// <summary>Durable state: after each step this loop writes the slot's record in <paramref name="journal"/>. Before <see cref="Start"/>.</summary>
    public void UseJournal(SlotJournal journal, SequenceStateStore store)
    {
        _journal = journal;
        _store = store;
    }

    public void Start()
    {
        var t = new Thread(Run) { IsBackground = true, Name = $"ovs-batch {_owner.ModelName}#{Index}" };
        t.Start();
    }

    public void Wake() => _wake.Set();

    private void Run()
    {
        try
        {
            while (RunOnce()) { }
        }
        catch (Exception ex)
        {
            // A bug in the loop: say where, loudly, rather than leave callers waiting silently.
            Trace.TraceError($"ovs: batch loop of model '{_owner.ModelName}' instance {Index} failed: {ex}");
            throw;
        }
        finally
        {
            _exited.TrySetResult();
        }
    }

    /// <summary>One turn: take work, do it outside the lock, record it, complete. False when stopping.</summary>
    private bool RunOnce()
    {
        _wake.Reset();
        int n;
        long decideAgainAt;
        long takenAt;
        lock (_owner.Lock)
        {
            _owner.AssertInvariants();
            if (_owner.Stopping) return false;
            (_exportsTaken, Exports) = (Exports, _exportsTaken);
            takenAt = Stopwatch.GetTimestamp();
            n = TakeBatch(takenAt, out decideAgainAt);
        }
        if (n == 0 && _exportsTaken.Count == 0)
        {
            Sleep(decideAgainAt);
            return true;
        }

        for (var i = 0; i < n; i++) _owner.Metrics.RecordQueue(ModelMetrics.ElapsedNs(_ops[i].EnqueuedAt, takenAt));
        RunExports();
        var t0 = Stopwatch.GetTimestamp();
        long t1 = t0, t2 = t0;
        var inferred = n > 0 ? RunBatch(n, out t1, out t2) : 0;
        var t3 = Stopwatch.GetTimestamp();
        if (_batch.Count > 0) _owner.Metrics.RecordBatch(_batch.Count, inferred, ModelMetrics.ElapsedNs(t0, t1), ModelMetrics.ElapsedNs(t1, t2), ModelMetrics.ElapsedNs(t2, t3));

        DeferredWork? deferred = _deferred;
        lock (_owner.Lock)
        {
            _owner.AssertInvariants();
            var now = Stopwatch.GetTimestamp();
            ApplyExports(ref deferred);
            for (var i = 0; i < n; i++) ApplyStep(i, now, ref deferred);
            _owner.PublishGauges();
        }
        _batch.Clear();
        // Observers first: when a client sees its END step's response, the lease is already over.
        _owner.Flush(_deferred);
        for (var i = 0; i < n; i++)
        {
            var op = _ops[i];
            _ops[i] = null!;
            _imports[i] = -1;
            var ns = ModelMetrics.ElapsedNs(op.EnqueuedAt, t3);
            if (op.Error is null) _owner.Metrics.RecordSuccess(ns); else _owner.Metrics.RecordFailure(ns);
            op.Complete();
        }
        if (_owner.Options.SpillEnabled && _owner.Spill is { GrowthWanted: true } spill) GrowSpill(spill);
        _owner.FlushSignals();
        return true;
    }

    /// <summary>Outside the lock: the spill arena is nearly full; add a segment, then let the backlog spill into it.</summary>
    private void GrowSpill(SpillArena spill)
    {
        try
        {
            spill.Grow();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or OutOfMemoryException)
        {
            // No room: spill stops where it is and new sequences wait in the backlog; try again later.
            _owner.LogSpillGrowthFailed(e);
            return;
        }
        lock (_owner.Lock)
        {
            _owner.AssertInvariants();
            _owner.PumpBacklogAfterGrowth();
            _owner.PublishGauges();
        }
    }

    /// <summary>Under the lock: the policy says how many ready sequences run; their head steps move in flight.</summary>
    private int TakeBatch(long now, out long decideAgainAt)
    {
        var oldest = Ready.First is { } f ? f.Head!.EnqueuedAt : now;
        var n = _policy.Decide(Ready.Count, _batch.Capacity, oldest, now, out decideAgainAt);
        for (var i = 0; i < n; i++)
        {
            var seq = Ready.RemoveFirst();
            var op = seq.PopHead();
            op.State = StepState.InFlight;
            seq.InFlight = op;
            var start = op.IsStart || seq.ResetPending;
            seq.ResetPending = false;
            if (start) seq.Started = true;
            _hadStart[i] = start;
            _steps[i] = start ? 1 : seq.Steps + 1;
            _imports[i] = -1;
            _importFailed[i] = false;
            if (seq.ImportPending)
            {
                // A START makes the spilled state moot: drop it instead of importing it.
                if (start)
                {
                    _owner.ReleaseSpill(seq);
                }
                else
                {
                    // The loop reads the record now; it stays the sequence's (and counted) until ApplyStep.
                    _imports[i] = seq.SpillRecord;
                    seq.ImportPending = false;
                }
            }
            _ops[i] = op;
            _slots[i] = seq.Slot;
            _ids[i] = seq.Id;
            _flags[i] = (op.Flags & ~StepFlags.Start) | (start ? StepFlags.Start : StepFlags.None);
        }
        return n;
    }

    private void Sleep(long decideAgainAt)
    {
        if (decideAgainAt == long.MaxValue)
        {
            _wake.Wait();
            return;
        }
        var ms = (decideAgainAt - Stopwatch.GetTimestamp()) * 1000.0 / Stopwatch.Frequency;
        if (ms > 0) _wake.Wait(TimeSpan.FromMilliseconds(Math.Min(Math.Ceiling(ms), int.MaxValue - 1)));
    }

    /// <summary>
    /// Outside the lock: export the state of every slot given away by spill into its spill
    /// record, before anything else runs on the slot. Durable, the record is sealed (it is the
    /// sequence's copy from now on) and then the slot's journal record is emptied.
    /// </summary>
    private void RunExports()
    {
        _exportErrors.Clear();
        if (_exportsTaken.Count == 0) return;
        var spill = _owner.Spill!;
        var stamp = _store?.NextStamp() ?? 0;
        foreach (var export in _exportsTaken)
        {
            Exception? error = null;
            try
            {
                var record = spill.Record(export.Record);
                if (spill.IsDurable) StateRecordLayout.Begin(record, stamp);
                Engine.CopySlotState(export.Slot, spill.Layout.State(record));
                if (spill.IsDurable && !spill.Layout.Seal(record, stamp, export.Victim.Id, export.Steps)) _owner.LogNotDurable(export.Victim.Id);
                spill.Written(export.Record);
            }
            catch (Exception ex)
            {
                error = ex;
            }
            _journal?.Clear(export.Slot, stamp);
            _exportErrors.Add(error);
        }
    }

    /// <summary>Outside the lock: imports, fill the reused batch, Execute, copy outputs into responses. Returns steps inferred.</summary>
    private int RunBatch(int n, out long t1, out long t2)
    {
        _batch.Clear();
        // Observers first: when a client sees its END step's response, the lease is already over.
        _owner.Flush(_deferred);
        for (var i = 0; i < n; i++)
        {
            var op = _ops[i];
            _entries[i] = -1;
            if (_imports[i] >= 0)
            {
                try
                {
                    var spill = _owner.Spill!;
                    var state = spill.Layout.State(spill.Record(_imports[i]));
                    Engine.LoadSlotState(_slots[i], state);
                    // Durable: the slot's record takes the state over now, so the spill record can go even if this step fails.
                    if (_journal is not null && !_journal.Write(_slots[i], _store!.NextStamp(), _ids[i], _steps[i] - 1, state)) _owner.LogNotDurable(_ids[i]);
                }
                catch (Exception ex)
                {
                    _importFailed[i] = true;
                    op.Error = new InferenceException(InferenceErrorKind.Internal,
                        $"model '{_owner.ModelName}': restoring the spilled state of sequence {_ids[i]} into slot {_slots[i]} failed; the sequence's state is lost: {ex.Message}", ex);
                    continue;
                }
            }
            _entries[i] = 0; // runs; its entry is set below
        }
        if (!_rowsAreSlots || !AddInSlotOrder(n)) AddInTakenOrder(n);
        t1 = Stopwatch.GetTimestamp();
        Exception? failure = null;
        if (_batch.Count > 0)
        {
            try
            {
                Engine.Execute(_batch);
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        }
        if (failure is null && _journal is not null && _batch.Count > 0) Persist(n);
        t2 = Stopwatch.GetTimestamp();
        var inferred = 0;
        for (var i = 0; i < n; i++)
        {
            var e = _entries[i];
            if (e < 0) continue;
            var op = _ops[i];
            if (failure is not null)
            {
                op.Error = new InferenceException(InferenceErrorKind.Internal,
                    $"model '{_owner.ModelName}': the engine failed on a batch of {_batch.Count} steps holding sequence {_ids[i]}; its state is unchanged: {failure.Message}", failure);
                continue;
            }
            op.Response = BuildResponse(op, e, _ids[i], ref inferred);
        }
        return inferred;
    }

    /// <summary>
    /// Outside the lock, after a successful Execute and before any response completes: each
    /// slot that ran gets its new state written to its journal record (one stamp per batch).
    /// END steps are not written: the sequence's removal empties the record, and until then
    /// the state before END is what a restart brings back (the END was not answered).
    /// </summary>
    private void Persist(int n)
    {
        var stamp = _store!.NextStamp();
        for (var i = 0; i < n; i++)
        {
            if (_entries[i] < 0 || (_flags[i] & StepFlags.End) != 0) continue;
            var slot = _slots[i];
            Engine.CopySlotState(slot, _journal!.BeginWrite(slot, stamp));
            if (!_journal.EndWrite(slot, stamp, _ids[i], _steps[i])) _owner.LogNotDurable(_ids[i]);
        }
    }

    private void AddInTakenOrder(int n)
    {
        for (var i = 0; i < n; i++)
        {
            if (_entries[i] < 0) continue;
            _entries[i] = AddEntry(i);
        }
    }

    /// <summary>
    /// Triton's direct strategy: row r of the batch is slot r, from slot 0 to the highest slot with
    /// a step; a slot in between with no step gets a padding row (READY false). False, with
    /// nothing added, when that would not fit the batch.
    /// </summary>
    private bool AddInSlotOrder(int n)
    {
        var last = -1;
        for (var i = 0; i < n; i++)
        {
            if (_entries[i] >= 0) last = Math.Max(last, _slots[i]);
        }
        if (last < 0 || last >= _batch.Capacity) return false;
        _bySlot.AsSpan(0, last + 1).Fill(-1);
        for (var i = 0; i < n; i++)
        {
            if (_entries[i] >= 0) _bySlot[_slots[i]] = i;
        }
        for (var slot = 0; slot <= last; slot++)
        {
            var i = _bySlot[slot];
            if (i < 0) _batch.AddPadding(slot);
            else _entries[i] = AddEntry(i);
        }
        return true;
    }

    private int AddEntry(int i)
    {
        var e = _batch.Add(_slots[i], _flags[i], _ids[i]);
        for (var k = 0; k < _batch.InputCount; k++) _batch.SetInput(e, k, _ops[i].Inputs[k]);
        return e;
    }

    /// <summary>
    /// Copies one entry's outputs out of the engine's memory (valid only until its next Execute)
    /// into a pooled response's tensors: a response its owner released earlier, so a warm step
    /// allocates nothing here. BYTES outputs and not-inferred (empty) ones get tensors of their own.
    /// </summary>
    private InferenceResponse? BuildResponse(StepOperation op, int entry, SequenceId id, ref int inferred)
    {
        var outputs = Engine.Outputs;
        var count = 0;
        foreach (var w in op.WantOutput) if (w) count++;
        var response = _responses.Rent();
        var storage = response.Storage!;
        var tensors = storage.List(count);
        var j = 0;
        var ran = false;
        for (var k = 0; k < outputs.Count; k++)
        {
            var mem = _batch.Output(entry, k);
            if (!mem.IsEmpty) ran = true;
            if (!op.WantOutput[k]) continue;
            var spec = outputs[k];
            if (mem.IsEmpty)
            {
                // Not inferred (an END step with infer_end_requests = 0): Triton answers 0-shaped data.
                var shape = (long[])spec.RequestShape.Clone();
                if (shape.Length > 0) shape[0] = 0;
                tensors[j++] = new Tensor(spec.Name, spec.DataType, shape, ReadOnlyMemory<byte>.Empty);
            }
            else if (spec.DataType == DataType.String)
            {
                tensors[j++] = new Tensor(spec.Name, spec.DataType, (long[])spec.RequestShape.Clone(), mem.ToArray());
            }
            else if (mem.Length != spec.RequestBytes)
            {
                _responses.Return(response); // never handed out
                op.Error = new InferenceException(InferenceErrorKind.Internal,
                    $"model '{_owner.ModelName}': the engine returned {mem.Length} bytes for output '{spec.Name}' of sequence {id}; expected {spec.RequestBytes}");
                return null;
            }
            else
            {
                tensors[j++] = storage.Copy(k, mem.Span);
            }
        }
        if (ran || outputs.Count == 0) inferred++;
        return response.Lease(_owner.ModelName, _owner.Settings.ModelVersion, op.RequestId, tensors);
    }

    /// <summary>Under the lock: exported states are in their spill records (or, on failure, the victim is lost).</summary>
    private void ApplyExports(ref DeferredWork? deferred)
    {
        for (var i = 0; i < _exportsTaken.Count; i++)
        {
            var victim = _exportsTaken[i].Victim;
            // DetachAsync waits for this export; it looks at the sequence again once told.
            victim.HandOverExported?.TrySetResult();
            victim.HandOverExported = null;
            if (victim.Phase == SequencePhase.Removed)
            {
                _owner.ReleaseSpill(victim);
                continue;
            }
            if (_exportErrors[i] is { } error)
            {
                _owner.ReleaseSpill(victim);
                var message = $"model '{_owner.ModelName}': spilling the state of sequence {victim.Id} to host memory failed; the sequence's state is lost: {error.Message}";
                _owner.FailPending(victim, message, ref deferred);
                _owner.RemoveSequence(victim, SequenceEndReason.Error, ref deferred);
                continue;
            }
            victim.Phase = SequencePhase.Spilled;
            if (!victim.HandOver)
            {
                _owner.Metrics.RecordSpill();
                (deferred ??= new DeferredWork()).Spilled.Add(victim.Id);
            }
            _owner.OnSpilled(victim);
        }
        _exportsTaken.Clear();
    }

    /// <summary>Under the lock: a step finished; its sequence moves on (ready, idle, restored, or ended and its slot freed).</summary>
    private void ApplyStep(int i, long now, ref DeferredWork? deferred)
    {
        var op = _ops[i];
        var seq = op.Sequence!;
        seq.InFlight = null;
        op.State = StepState.Done;
        if (_imports[i] >= 0)
        {
            var handedIn = seq.HandOver;
            _owner.ReleaseSpill(seq);
            if (_importFailed[i])
            {
                _owner.FailPending(seq, ((InferenceException)op.Error!).Message, ref deferred);
                _owner.RemoveSequence(seq, SequenceEndReason.Error, ref deferred);
                return;
            }
            // A handed-over state taken in is counted by Adopt, not as a restore.
            if (!handedIn)
            {
                _owner.Metrics.RecordRestore();
                (deferred ??= new DeferredWork()).Restored.Add(seq.Id);
            }
        }
        if (op.Error is not null && _hadStart[i])
        {
            // The engine changed no slot: the next step must start the sequence again.
            seq.ResetPending = true;
            seq.Started = false;
        }
        if (op.Error is null) seq.Steps = _steps[i];
        if (seq.Phase == SequencePhase.Removed || _owner.Stopping) return;
        seq.LastActivity = now;
        if (op.IsEnd && seq.Head is null)
        {
            _owner.RemoveSequence(seq, SequenceEndReason.End, ref deferred);
        }
        else if (seq.Head is not null)
        {
            // Steps sent after END must carry START (Enqueue enforces it): the sequence begins again in its slot.
            _owner.MakeReady(seq);
        }
        else
        {
            _owner.MakeIdle(seq);
        }
    }
}

/// <summary>A slot given away by spill whose state the loop exports into <see cref="Record"/> (the victim's id and steps read under the lock).</summary>
internal readonly record struct PendingExport(int Slot, Sequence Victim, int Record, long Steps);
