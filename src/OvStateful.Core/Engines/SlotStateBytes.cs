using OvStateful.Core.Tensors;

namespace OvStateful.Core.Engines;

/// <summary>
/// One slot's states as one run of bytes: each state's <see cref="StateSpec.SlotBytes"/> in
/// the engine's <see cref="IStatefulEngine.States"/> order. The form durable and spilled
/// states are kept in, engine-agnostic (the same bytes a <see cref="SlotSnapshot"/> holds).
/// </summary>
public static class SlotStateBytes
{
    /// <summary>Bytes of one slot's states.</summary>
    public static int Total(IReadOnlyList<StateSpec> states)
    {
        var n = 0;
        foreach (var s in states) n = checked(n + s.SlotBytes);
        return n;
    }

    /// <summary>Lays a snapshot's states out in <paramref name="states"/> order; throws naming a state that is missing or has the wrong size.</summary>
    public static void Pack(IReadOnlyList<StateSpec> states, SlotSnapshot snapshot, Span<byte> destination)
    {
        CheckLength(states, destination.Length);
        var offset = 0;
        foreach (var spec in states)
        {
            var tensor = Find(snapshot, spec);
            tensor.Data.Span.CopyTo(destination.Slice(offset, spec.SlotBytes));
            offset += spec.SlotBytes;
        }
    }

    /// <summary>A snapshot holding a copy of <paramref name="source"/>'s states.</summary>
    public static SlotSnapshot Unpack(IReadOnlyList<StateSpec> states, ReadOnlySpan<byte> source)
    {
        CheckLength(states, source.Length);
        var tensors = new Tensor[states.Count];
        var offset = 0;
        for (var i = 0; i < states.Count; i++)
        {
            var spec = states[i];
            tensors[i] = new Tensor(spec.InputName, spec.DataType, spec.SlotShape, source.Slice(offset, spec.SlotBytes).ToArray());
            offset += spec.SlotBytes;
        }
        return new SlotSnapshot(tensors);
    }

    private static Tensor Find(SlotSnapshot snapshot, StateSpec spec)
    {
        foreach (var t in snapshot.States)
        {
            if (t.Name != spec.InputName) continue;
            if (t.Data.Length != spec.SlotBytes)
                throw new ArgumentException($"state {spec.InputName} has {t.Data.Length} bytes; expected {spec.SlotBytes} ({spec.DataType.WireName()} {Shapes.Format(spec.SlotShape)})");
            return t;
        }
        throw new ArgumentException($"the snapshot has no state {spec.InputName}");
    }

    private static void CheckLength(IReadOnlyList<StateSpec> states, int length)
    {
        var total = Total(states);
        if (length != total) throw new ArgumentException($"{length} bytes given for one slot's states; expected {total}");
    }
}
