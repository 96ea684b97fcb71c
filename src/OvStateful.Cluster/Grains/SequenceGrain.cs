using Orleans.Concurrency;
using Microsoft.Extensions.Logging;
using OvStateful.Cluster.Node;
using OvStateful.Cluster.Placement;
using OvStateful.Cluster.Wire;
using OvStateful.Core.Sequences;
using OvStateful.Core.Serving;

namespace OvStateful.Cluster.Grains;

/// <summary>
/// A live sequence on the node that holds it. Steps run on this node's own batcher (batched
/// with the node's other sequences), through the same InferAsync a local client's step takes.
/// Drain detaches the sequence from the batcher and migrates the activation with the state in
/// the dehydration context; the new node adopts it into its batcher as a spilled sequence.
/// Lives as long as its sequence (END deactivates it; idle collection only after a day).
/// </summary>
[LeastLoadedPlacement]
[CollectionAgeLimit(Days = 1)]
internal sealed class SequenceGrain(
    NodeContext node,
    [PersistentState("sequence", ClusterNode.StorageName)] IPersistentState<SequenceRecord> record,
    ILogger<SequenceGrain> log) : Grain, ISequenceGrain, IGrainMigrationParticipant
{
    private const string HandOverKey = "ovs.sequence";
    private string _key = "";
    private string _model = "";
    private SequenceId _id;
    /// <summary>The model version the sequence runs in (its first step's); null before any step.</summary>
    private string? _version;
    /// <summary>Steps acknowledged since the sequence (re)started.</summary>
    private long _steps;
    /// <summary>Taken out of the batcher by <see cref="HandOver"/>, not yet dehydrated: a migration that did not happen gives it back before the next step.</summary>
    private HandedOverSequence? _leaving;
    /// <summary>Rehydrated here but not adoptable (this node does not serve the model): every step fails naming why.</summary>
    private string? _lost;
    /// <summary>Request id and answer of the last step, for a retry whose first answer was lost.</summary>
    private string? _lastRequestId;
    private StepAnswer? _lastAnswer;
    private bool _rehydrated;
    /// <summary>Persistence on: a record of this sequence is in the store (deleted at END).</summary>
    private bool _stored;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = this.GetPrimaryKeyString();
        _model = SequenceKey.ModelOf(_key);
        _id = SequenceKey.IdOf(_key);
        node.Live[_key] = 0;
        if (_rehydrated) return;
        // Persistence on, the state after each step is in the store; off, grain storage says where the sequence lived.
        var kept = node.Store is { } store ? await store.ReadAsync(_key).ConfigureAwait(true) : record.RecordExists ? record.State : null;
        _stored = node.Store is not null && kept is not null;
        if (kept is not null && kept.Silo != node.Silo) Recover(kept);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        node.Live.TryRemove(_key, out _);
        return Task.CompletedTask;
    }

    public async Task<StepAnswer> Step(Immutable<InferenceRequest> request)
    {
        var r = request.Value;
        // As for a sequence that is not active (Triton: INVALID_ARGUMENT): retrying cannot help, a START can.
        if (_lost is not null && !r.SequenceStart) return StepAnswer.Failed(InferenceErrorKind.InvalidArgument, _lost, node.Name);
        _lost = null;
        if (!string.IsNullOrEmpty(r.RequestId) && r.RequestId == _lastRequestId && _lastAnswer is not null)
        {
            // A retry of the last step (its answer was lost on the way): answered again, not run twice.
            Interlocked.Increment(ref node.Replayed);
            return _lastAnswer with { Replayed = true };
        }
        var model = node.Local(r.ModelName, r.ModelVersion);
        if (model is null)
            return StepAnswer.Failed(InferenceErrorKind.Unavailable, $"model '{r.ModelName}' is not ready on node {node.Name}, which holds sequence {_id}", node.Name);
        if (_leaving is not null) GiveBack(model);

        StepAnswer answer;
        try
        {
            var response = await model.InferAsync(r, CancellationToken.None).ConfigureAwait(true);
            answer = new StepAnswer { Response = response, Node = node.Name };
        }
        catch (InferenceException e)
        {
            answer = StepAnswer.Failed(e.Kind, e.Message, node.Name);
        }
        catch (Exception e)
        {
            answer = StepAnswer.Failed(InferenceErrorKind.Internal, $"model '{r.ModelName}' failed: {e.Message}", node.Name);
        }
        if (!string.IsNullOrEmpty(r.RequestId))
        {
            _lastRequestId = r.RequestId;
            _lastAnswer = answer;
        }
        if (answer.Response is not null)
        {
            _version = model.Version;
            _steps = r.SequenceStart ? 1 : _steps + 1;
            if (r.SequenceEnd)
            {
                DeactivateOnIdle();
                if (node.Store is { } store && _stored) await store.DeleteAsync(_key).ConfigureAwait(true);
                else if (record.RecordExists) await record.ClearStateAsync().ConfigureAwait(true);
                _stored = false;
            }
            else if (node.Store is not null)
            {
                if (await PersistAsync(model).ConfigureAwait(true) is { } failed) return failed;
            }
            else if (r.SequenceStart)
            {
                await RecordStartAsync().ConfigureAwait(true);
            }
        }
        return answer;
    }

    /// <summary>
    /// Persistence on: the state after this step goes to the store before the step is answered
    /// (acknowledged means durable). The batcher exports the slot as spill does and takes the
    /// copy back at once (the next step imports it); the store writes the steps waiting at once
    /// as one Redis batch (group commit, <see cref="RedisSequenceStore"/>).
    /// </summary>
    private async Task<StepAnswer?> PersistAsync(ServedModel model)
    {
        var state = await model.Batcher.DetachAsync(_id).ConfigureAwait(true);
        if (state is null) return null; // ended or expired meanwhile: nothing to keep
        model.Batcher.Adopt(state);
        // A new record each step: the store may keep (memory) or serialize (Redis) it later.
        var kept = new SequenceRecord
        {
            Node = node.Name, Silo = node.Silo, Steps = _steps, State = state.State, Version = _version,
            LastRequestId = _lastRequestId, LastAnswer = _lastAnswer,
        };
        try
        {
            await node.Store!.WriteAsync(_key, kept).ConfigureAwait(true);
            _stored = true;
            return null;
        }
        catch (Exception e)
        {
            return StepAnswer.Failed(InferenceErrorKind.Unavailable,
                $"model '{_model}': step {_steps} of sequence {_id} ran on node {node.Name} but its state could not be persisted ({e.Message}); a crash of this node now would lose it", node.Name);
        }
    }

    public async Task<bool> HandOver()
    {
        if (_leaving is not null)
        {
            this.MigrateOnIdle();
            return true;
        }
        var model = _version is null ? null : node.Local(_model, _version);
        var detached = model is null ? null : await model.Batcher.DetachAsync(_id).ConfigureAwait(true);
        if (detached is null)
        {
            // Nothing live here (ended, expired, or never started): nothing to carry.
            DeactivateOnIdle();
            return false;
        }
        _leaving = detached;
        this.MigrateOnIdle();
        return true;
    }

    public void OnDehydrate(IDehydrationContext context)
    {
        context.TryAddValue(HandOverKey, new HandOverState
        {
            Version = _version, State = _leaving?.State, Live = _leaving is not null, Steps = _steps,
            LastRequestId = _lastRequestId, LastAnswer = _lastAnswer, From = node.Name,
        });
        if (_leaving is not null) Interlocked.Increment(ref node.MigratedOut);
        _leaving = null;
    }

    public void OnRehydrate(IRehydrationContext context)
    {
        _rehydrated = true;
        if (!context.TryGetValue<HandOverState>(HandOverKey, out var h) || h is null) return;
        var key = this.GetPrimaryKeyString();
        (_model, _id) = (SequenceKey.ModelOf(key), SequenceKey.IdOf(key));
        (_version, _steps, _lastRequestId, _lastAnswer) = (h.Version, h.Steps, h.LastRequestId, h.LastAnswer);
        if (!h.Live) return;
        var model = node.Local(_model, _version);
        if (model is null)
        {
            _lost = $"sequence {_id} of model '{_model}' moved from node {h.From} to node {node.Name}, which does not serve that model (version {_version}); its state after step {_steps} could not be taken in";
            log.LogWarning("{Reason}", _lost);
            return;
        }
        try
        {
            model.Batcher.Adopt(new HandedOverSequence(_id, h.State));
            Interlocked.Increment(ref node.MigratedIn);
        }
        catch (InferenceException e)
        {
            _lost = $"sequence {_id} of model '{_model}' moved from node {h.From} to node {node.Name} but could not be taken in: {e.Message}";
            log.LogWarning("{Reason}", _lost);
        }
    }

    /// <summary>A hand-over whose migration did not happen (no other node): the sequence goes back into this node's batcher.</summary>
    private void GiveBack(ServedModel model)
    {
        var leaving = _leaving!;
        _leaving = null;
        model.Batcher.Adopt(leaving);
    }

    /// <summary>Grain storage learns where the sequence lives, so a later activation elsewhere knows what was lost.</summary>
    private async Task RecordStartAsync()
    {
        record.State.Node = node.Name;
        record.State.Silo = node.Silo;
        record.State.Steps = _steps;
        record.State.Version = _version;
        record.State.State = null;
        try
        {
            await record.WriteStateAsync().ConfigureAwait(true);
        }
        catch (Exception e)
        {
            log.LogWarning("sequence {Id} of model '{Model}': its start could not be recorded in grain storage: {Message}", _id, _model, e.Message);
        }
    }

    /// <summary>
    /// Activated here although grain storage says the sequence lived on another node: that node
    /// is gone without handing it over. Every later step says so (never a silently reset state),
    /// until a START begins the sequence again.
    /// </summary>
    private void Recover(SequenceRecord r)
    {
        if (node.Store is not null && r.Steps > 0 && node.Local(_model, r.Version) is { } model)
        {
            // Its node died: the state after its last acknowledged step comes back here.
            try
            {
                model.Batcher.Adopt(new HandedOverSequence(_id, r.State));
                (_version, _steps, _lastRequestId, _lastAnswer) = (r.Version, r.Steps, r.LastRequestId, r.LastAnswer);
                (r.Node, r.Silo) = (node.Name, node.Silo);
                Interlocked.Increment(ref node.Recovered);
                log.LogInformation("sequence {Id} of model '{Model}' recovered on node {Node} after step {Steps}", _id, _model, node.Name, r.Steps);
                return;
            }
            catch (InferenceException e)
            {
                _lost = $"sequence {_id} of model '{_model}' lived on node {r.Node}, which left the cluster; its state after step {r.Steps} was kept but could not be taken in on node {node.Name}: {e.Message}";
                log.LogWarning("{Reason}", _lost);
                return;
            }
        }
        _lost = $"sequence {_id} of model '{_model}' lived on node {r.Node}, which left the cluster without handing it over; with state persistence off (ovs serve --cluster-persist) none of its steps was kept (it had run {r.Steps} or more); send sequence_start to begin it again";
        log.LogWarning("{Reason}", _lost);
    }
}
