using Microsoft.ML.OnnxRuntime;
using OvStateful.Core.Engines;

namespace OvStateful.OnnxRuntime;

/// <summary>
/// Where the ORT engine keeps every slot's states (host or CUDA memory) and how a batch's
/// state tensors are filled from them and committed back. Bindings are made once per batch
/// size (and per in-place slot range) and reused; the store binds its own state tensors into
/// them, so a steady stream of batches rebinds nothing.
/// </summary>
internal interface IOrtStateStore : IDisposable
{
    /// <summary>
    /// Binds the state inputs and outputs for a batch of <paramref name="batchSize"/> rows. With
    /// <paramref name="inPlaceFirstSlot"/> ≥ 0 (a value <see cref="InPlaceFirstSlot"/> returned),
    /// the states that allow it are read in place from slots inPlaceFirstSlot.. onwards.
    /// </summary>
    void Bind(OrtIoBinding binding, int batchSize, int inPlaceFirstSlot);

    /// <summary>The first slot when this batch can read its states in place (see <see cref="Bind"/>), else -1.</summary>
    int InPlaceFirstSlot(ReadOnlySpan<int> slots, ReadOnlySpan<bool> fromInitial, int batchSize);

    /// <summary>
    /// Makes the bound state inputs hold row i = slot <paramref name="slots"/>[i] (or the initial
    /// state); with <paramref name="inPlace"/>, only the states not read in place are copied.
    /// </summary>
    void Gather(ReadOnlySpan<int> slots, ReadOnlySpan<bool> fromInitial, int batchSize, bool inPlace);

    /// <summary>After a successful run: row i of each state output becomes slot <paramref name="slots"/>[i]'s state (a slot of -1, a padding row, keeps nothing).</summary>
    void Commit(ReadOnlySpan<int> slots, int batchSize);

    void Reset(int slot);
    SlotSnapshot Export(int slot);
    void Import(int slot, SlotSnapshot snapshot);
    long ReservedBytes { get; }
}
