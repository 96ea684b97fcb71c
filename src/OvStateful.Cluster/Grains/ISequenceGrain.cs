using Orleans.Concurrency;
using OvStateful.Cluster.Wire;
using OvStateful.Core.Serving;

namespace OvStateful.Cluster.Grains;

/// <summary>
/// One live sequence (model, correlation id). Its activation lives on the node whose batcher
/// holds the sequence's slot; a step sent to any node reaches it here. Not reentrant: one step
/// at a time per sequence, in the order the calls arrive.
/// </summary>
public interface ISequenceGrain : IGrainWithStringKey
{
    /// <summary>Runs one step on the owning node's batcher. Immutable: a call from the same node passes the request by reference.</summary>
    Task<StepAnswer> Step(Immutable<InferenceRequest> request);

    /// <summary>Drain: takes the sequence out of this node's batcher (after in-flight steps) and migrates the activation, state included. False when nothing was live.</summary>
    Task<bool> HandOver();
}
