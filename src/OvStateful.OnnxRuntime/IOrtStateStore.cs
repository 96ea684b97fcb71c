using OvStateful.Core.Engines;
using OvStateful.OnnxRuntime.Interop;

namespace OvStateful.OnnxRuntime;

/// <summary>
/// Where the ORT engine keeps every slot's states (host or CUDA memory) and how a batch's
/// state tensors are filled from them and committed back. One binding exists per batch size;
/// the store binds its own state tensors into it.
/// </summary>
internal interface IOrtStateStore : IDisposable
{
    /// <summary>Binds the state input and output tensors for a batch of <paramref name="batchSize"/> rows.</summary>
    void Bind(OrtIoBinding binding, int batchSize);

    /// <summary>Makes the bound state inputs hold row i = slot <paramref name="slots"/>[i] (or the initial state).</summary>
    void Gather(OrtIoBinding binding, ReadOnlySpan<int> slots, ReadOnlySpan<bool> fromInitial, int batchSize);

    /// <summary>After a successful run: row i of each state output becomes slot <paramref name="slots"/>[i]'s state.</summary>
    void Commit(ReadOnlySpan<int> slots, int batchSize);

    void Reset(int slot);
    SlotSnapshot Export(int slot);
    void Import(int slot, SlotSnapshot snapshot);
    long ReservedBytes { get; }
}
