namespace OvStateful.Core.Engines;

/// <summary>
/// A loaded stateful model holding <see cref="SlotCount"/> sequences' states. One caller at
/// a time (the batcher of this instance); ResetSlot/ExportSlot/ImportSlot are never called
/// while Execute runs. No native type appears here.
/// </summary>
public interface IStatefulEngine : IDisposable
{
    /// <summary>"onnxruntime" or "openvino", plus the device where it matters (e.g. "onnxruntime:cuda").</summary>
    string EngineName { get; }
    string ModelName { get; }
    int SlotCount { get; }
    /// <summary>Most entries one <see cref="Execute"/> takes.</summary>
    int MaxBatchSize { get; }
    /// <summary>What each step sends, in <see cref="StepBatch"/> input order.</summary>
    IReadOnlyList<TensorSpec> Inputs { get; }
    /// <summary>What each step returns, in <see cref="StepBatch"/> output order.</summary>
    IReadOnlyList<TensorSpec> Outputs { get; }
    IReadOnlyList<StateSpec> States { get; }

    /// <summary>
    /// Whether <see cref="Execute"/> takes padding entries (<see cref="StepFlags.Ready"/> clear, from
    /// <see cref="StepBatch.AddPadding"/>): such a row is fed READY false, START/END false, zero
    /// (BYTES: empty) inputs and CORRID and the initial state, as Triton feeds the null requests of
    /// its direct strategy; nothing of it is committed and it gets no outputs. The batcher pads
    /// direct batches only for engines that say so.
    /// </summary>
    bool FeedsPaddingRows => false;

    /// <summary>Runtime, version, device asked for and used, threads, slots (start-up table, reports). Engines override to fill what they know.</summary>
    EngineDescription Description => EngineDescription.Of(this);

    /// <summary>
    /// Runs one batch: entries flagged Start begin from the initial state; every other entry
    /// continues from its slot's state. Atomic: when it throws, no slot's state changed and
    /// the batch's outputs are unset.
    /// </summary>
    void Execute(StepBatch batch);

    /// <summary>Puts the slot back to the model's initial state.</summary>
    void ResetSlot(int slot);

    /// <summary>Copies one slot's states out (bit-exact).</summary>
    SlotSnapshot ExportSlot(int slot);

    /// <summary>Replaces one slot's states with a snapshot taken from an engine of the same model.</summary>
    void ImportSlot(int slot, SlotSnapshot snapshot);
}
