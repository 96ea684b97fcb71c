using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Tensors;
using OvStateful.OpenVino.Interop;

namespace OvStateful.OpenVino;

/// <summary>Small helpers the two state modes share: pinned buffers, control rows, shape checks, port lookup.</summary>
internal static unsafe class StepFeeds
{
    /// <summary>A pinned array: its address never changes, so a native tensor may wrap it.</summary>
    public static byte[] Pinned(int bytes) => GC.AllocateArray<byte>(Math.Max(bytes, 1), pinned: true);

    /// <summary>Address of a <see cref="Pinned"/> array.</summary>
    public static void* Address(byte[] pinned) => Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));

    /// <summary>Writes one entry's control value (START, END, READY flag or the correlation id) into <paramref name="row"/>.</summary>
    public static void FillControl(PlannedControl control, Span<byte> row, StepFlags flags, SequenceId id)
    {
        if (control.Kind == ControlKind.SequenceCorrid)
        {
            ElementWriter.FillInteger(row, control.DataType, id.Number);
            return;
        }
        var on = control.Kind switch
        {
            ControlKind.SequenceStart => (flags & StepFlags.Start) != 0,
            ControlKind.SequenceEnd => (flags & StepFlags.End) != 0,
            _ => (flags & StepFlags.Ready) != 0,
        };
        ElementWriter.Fill(row, control.DataType, on ? control.TrueValue : control.FalseValue);
    }

    /// <summary>Writes <paramref name="modelShape"/> with <paramref name="batch"/> at the batch axis into <paramref name="shape"/>.</summary>
    public static void BatchShape(long[] modelShape, int axis, int batch, long[] shape)
    {
        modelShape.CopyTo(shape, 0);
        if (axis >= 0) shape[axis] = batch;
    }

    /// <summary>Throws when a tensor OpenVINO returned (<paramref name="kind"/> "output" or "state", no message built unless it fails) is not the shape the plan expects (a model whose outputs do not batch as declared).</summary>
    public static void CheckShape(string model, string kind, string name, long[] modelShape, int axis, int batch, ReadOnlySpan<long> actual, DataType expectedType, DataType actualType)
    {
        var ok = actual.Length == modelShape.Length && expectedType == actualType;
        for (var k = 0; ok && k < actual.Length; k++) ok = actual[k] == (k == axis ? batch : modelShape[k]);
        if (!ok)
        {
            var expected = (long[])modelShape.Clone();
            if (axis >= 0) expected[axis] = batch;
            throw new EngineException($"model \"{model}\": OpenVINO returned {kind} \"{name}\" as {actualType.WireName()} {Shapes.Format(actual)}; {expectedType.WireName()} {Shapes.Format(expected)} was expected");
        }
    }

    /// <summary>The compiled model's port index for a named input or output.</summary>
    public static int Port(string model, OvCompiledModel compiled, string name, bool output)
    {
        var index = compiled.Find(name, output);
        if (index < 0)
        {
            var ports = output ? compiled.Outputs : compiled.Inputs;
            throw new EngineException($"model \"{model}\": the compiled model has no {(output ? "output" : "input")} \"{name}\" (it has: {string.Join(", ", ports.Select(p => p.Name))})");
        }
        return index;
    }

    /// <summary>Checks a snapshot against the states and returns its rows in state order; changes nothing.</summary>
    public static ReadOnlyMemory<byte>[] SnapshotRows(string model, int slot, IReadOnlyList<StateSpec> states, SlotSnapshot snapshot)
    {
        var rows = new ReadOnlyMemory<byte>[states.Count];
        for (var s = 0; s < states.Count; s++)
        {
            var spec = states[s];
            var t = snapshot.States.FirstOrDefault(x => x.Name == spec.InputName)
                ?? throw new EngineException($"model \"{model}\": cannot import into slot {slot}: the snapshot has no state {spec.InputName}; it holds {string.Join(", ", snapshot.States.Select(x => x.Name))}");
            if (t.DataType != spec.DataType || t.Data.Length != spec.SlotBytes)
            {
                throw new EngineException($"model \"{model}\": cannot import into slot {slot}: state {spec.InputName} is {t.DataType.WireName()} {Shapes.Format(t.Shape)} ({t.Data.Length} bytes); {spec.DataType.WireName()} {Shapes.Format(spec.SlotShape)} ({spec.SlotBytes} bytes) expected");
            }
            rows[s] = t.Data;
        }
        return rows;
    }
}

/// <summary>What a state mode does for the engine. Run commits states only when it returns normally.</summary>
internal interface IStateMode : IDisposable
{
    /// <summary>Runs rows r = 0..entries.Length-1 (batch entry entries[r], slot slots[r]); writes each row's outputs into outputRows[r][o].</summary>
    void Run(StepBatch batch, ReadOnlySpan<int> entries, ReadOnlySpan<int> slots, ReadOnlySpan<bool> fromInitial, byte[][][] outputRows);
    void Reset(int slot);
    SlotSnapshot Export(int slot);
    void Import(int slot, SlotSnapshot snapshot);
}
