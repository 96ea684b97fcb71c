using System.Runtime.InteropServices;
using System.Text;
using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;

namespace OvStateful.OpenVino.Interop;

/// <summary>ov::Model through the shim: inspection, MakeStateful, reshape, save.</summary>
internal sealed unsafe class OvModel : IDisposable
{
    internal OvModel(ModelHandle handle) => Handle = handle;

    internal ModelHandle Handle { get; }

    public IReadOnlyList<ModelFileTensor> Inputs => Ports(isOutput: 0);
    public IReadOnlyList<ModelFileTensor> Outputs => Ports(isOutput: 1);

    /// <summary>The model's ReadValue/Assign variables (name = variable_id, type, shape with -1 for dynamic); empty when not stateful yet.</summary>
    public IReadOnlyList<ModelFileTensor> Variables()
    {
        ShimErrors.ThrowIfFailed(ShimNative.ovs_model_variable_count(Handle, out var count));
        var variables = new ModelFileTensor[count];
        for (var i = 0; i < count; i++)
        {
            variables[i] = PortReader.Read(i, (int index, byte* n, int cap, out int needed, out int element, long* d, int dcap, out int rank) =>
                ShimNative.ovs_model_variable_info(Handle, index, n, cap, out needed, out element, d, dcap, out rank));
        }
        return variables;
    }

    /// <summary>
    /// Where variable <paramref name="index"/> starts after reset(): its constant initial value, or
    /// null with <paramref name="computed"/> = false for zeros (no initializer) and true for an
    /// initializer that depends on model inputs. Constant-folds the model first, so reshape it to
    /// static shapes beforehand.
    /// </summary>
    public Tensor? VariableInitial(int index, out bool computed)
    {
        var dimsCap = 16;
        long dataCap = 1024;
        while (true)
        {
            var dims = new long[dimsCap];
            var data = new byte[dataCap];
            int status, kind, element, rank;
            fixed (long* d = dims)
            fixed (byte* b = data)
            {
                status = ShimNative.ovs_model_variable_initial(Handle, index, out kind, b, data.LongLength, out element, d, dimsCap, out rank);
            }
            var type = ShimElement.FromCode(element);
            if (status == (int)ShimStatus.BufferTooSmall && rank > dimsCap) { dimsCap = rank; continue; }
            if (status == (int)ShimStatus.BufferTooSmall)
            {
                var bytes = Shapes.ElementCount(dims.AsSpan(0, rank)) * Math.Max(1, type.ByteSize());
                if (bytes > dataCap) { dataCap = bytes; continue; }
            }
            ShimErrors.ThrowIfFailed(status, "variable_initial");
            computed = kind == 2;
            if (kind != 1) return null;
            var shape = dims[..rank];
            var length = checked((int)(Shapes.ElementCount(shape) * type.ByteSize()));
            return new Tensor($"variable {index}", type, shape, data.AsMemory(0, length).ToArray());
        }
    }

    /// <summary>ov::pass::MakeStateful: each (input, output) tensor-name pair becomes one variable named input + output.</summary>
    public void MakeStateful(IReadOnlyList<(string Input, string Output)> pairs)
    {
        using var inputs = new Utf8Array(pairs.Select(p => p.Input));
        using var outputs = new Utf8Array(pairs.Select(p => p.Output));
        ShimErrors.ThrowIfFailed(ShimNative.ovs_model_make_stateful(Handle, inputs.Pointer, outputs.Pointer, pairs.Count));
    }

    /// <summary>ov::Model::reshape with one partial shape (-1 = dynamic) per named input.</summary>
    public void Reshape(IReadOnlyList<(string Input, long[] Shape)> shapes)
    {
        using var names = new Utf8Array(shapes.Select(s => s.Input));
        var dims = shapes.SelectMany(s => s.Shape).ToArray();
        var ranks = shapes.Select(s => s.Shape.Length).ToArray();
        fixed (long* d = dims)
        fixed (int* r = ranks)
        {
            ShimErrors.ThrowIfFailed(ShimNative.ovs_model_reshape(Handle, names.Pointer, d, r, shapes.Count));
        }
    }

    /// <summary>ov::save_model to an IR .xml (and .bin beside it).</summary>
    public void Save(string xmlPath, bool compressToFp16) =>
        ShimErrors.ThrowIfFailed(ShimNative.ovs_model_save(Handle, xmlPath, compressToFp16 ? 1 : 0));

    public void Dispose() => Handle.Dispose();

    private ModelFileTensor[] Ports(int isOutput)
    {
        ShimErrors.ThrowIfFailed(ShimNative.ovs_model_port_count(Handle, isOutput, out var count));
        var ports = new ModelFileTensor[count];
        for (var i = 0; i < count; i++)
        {
            ports[i] = PortReader.Read(i, (int index, byte* n, int cap, out int needed, out int element, long* d, int dcap, out int rank) =>
                ShimNative.ovs_model_port_info(Handle, isOutput, index, n, cap, out needed, out element, d, dcap, out rank));
        }
        return ports;
    }

    internal delegate int NameCall(byte* buffer, int cap, out int needed);

    /// <summary>Calls a name-returning shim function, growing the buffer once if the name is long.</summary>
    internal static string ReadName(NameCall call)
    {
        var cap = 256;
        while (true)
        {
            var buf = new byte[cap];
            int status, needed;
            fixed (byte* b = buf) status = call(b, cap, out needed);
            if (status == (int)ShimStatus.BufferTooSmall && needed > cap) { cap = needed; continue; }
            ShimErrors.ThrowIfFailed(status, "name");
            return Encoding.UTF8.GetString(buf, 0, needed - 1);
        }
    }
}

/// <summary>A const char*[] of UTF-8 copies, freed on Dispose.</summary>
internal sealed unsafe class Utf8Array : IDisposable
{
    private readonly IntPtr[] _strings;
    private GCHandle _pin;

    public Utf8Array(IEnumerable<string> values)
    {
        _strings = values.Select(Marshal.StringToCoTaskMemUTF8).ToArray();
        _pin = GCHandle.Alloc(_strings, GCHandleType.Pinned);
    }

    public IntPtr* Pointer => (IntPtr*)_pin.AddrOfPinnedObject();

    public void Dispose()
    {
        if (_pin.IsAllocated) _pin.Free();
        foreach (var s in _strings) Marshal.FreeCoTaskMem(s);
    }
}
