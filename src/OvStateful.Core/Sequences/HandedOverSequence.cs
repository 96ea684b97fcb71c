using OvStateful.Core.Engines;

namespace OvStateful.Core.Sequences;

/// <summary>
/// A live sequence taken out of one batcher to continue in another of the same model (a
/// cluster node's drain or a grain migration): its state exactly as the engine exported it.
/// </summary>
/// <param name="Id">The sequence's correlation id.</param>
/// <param name="State">The slot's states, bit-exact; null when the sequence never ran a step (it begins from the initial state).</param>
public sealed record HandedOverSequence(SequenceId Id, SlotSnapshot? State);
