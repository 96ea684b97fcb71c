using OvStateful.Core.Tensors;

namespace OvStateful.Core.Engines;

/// <summary>
/// One slot's states copied out of an engine: one tensor per state pair, named by the
/// pair's input name, shaped as <see cref="StateSpec.SlotShape"/>. Used for spill,
/// snapshots and moving a sequence between engines.
/// </summary>
public sealed record SlotSnapshot(IReadOnlyList<Tensor> States)
{
    public long TotalBytes
    {
        get
        {
            long n = 0;
            foreach (var s in States) n += s.Data.Length;
            return n;
        }
    }
}
