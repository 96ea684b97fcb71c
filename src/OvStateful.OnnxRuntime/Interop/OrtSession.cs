using System.Runtime.InteropServices;

namespace OvStateful.OnnxRuntime.Interop;

/// <summary>An ORT inference session over a model file, with its input/output metadata read once.</summary>
internal sealed unsafe class OrtSession : IDisposable
{
    private readonly OrtSessionHandle _handle;

    private OrtSession(OrtSessionHandle handle, IReadOnlyList<OrtTensorInfo> inputs, IReadOnlyList<OrtTensorInfo> outputs)
    {
        _handle = handle;
        Inputs = inputs;
        Outputs = outputs;
    }

    public IReadOnlyList<OrtTensorInfo> Inputs { get; }
    public IReadOnlyList<OrtTensorInfo> Outputs { get; }
    internal OrtSessionHandle Handle => _handle;

    /// <summary>Loads a model file. A missing or corrupt file fails with a message naming it.</summary>
    public static OrtSession Create(string modelPath, OrtSessionSettings settings)
    {
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException($"model file {modelPath} does not exist", modelPath);
        }
        var api = OrtLibrary.Get().Api;
        using var options = OrtSessionOptions.Create(settings);
        var env = OrtEnvironment.Shared;
        var handle = new OrtSessionHandle();
        try
        {
            IntPtr session;
            fixed (byte* path = Utf8.Z(modelPath))
            {
                OrtStatusCheck.ThrowIfFailed(api.CreateSession(env.Pointer, path, options.Pointer, &session));
            }
            Marshal.InitHandle(handle, session);
            var inputs = ReadInfos(api, session, input: true);
            var outputs = ReadInfos(api, session, input: false);
            return new OrtSession(handle, inputs, outputs);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public OrtIoBinding CreateBinding() => OrtIoBinding.Create(this);

    /// <summary>Runs with everything bound in <paramref name="binding"/>; outputs land in the bound memory.</summary>
    public void Run(OrtIoBinding binding)
    {
        var api = OrtLibrary.Get().Api;
        var ok = false;
        _handle.DangerousAddRef(ref ok);
        try
        {
            OrtStatusCheck.ThrowIfFailed(api.RunWithBinding(_handle.Pointer, IntPtr.Zero, binding.Handle.Pointer));
        }
        finally
        {
            if (ok) _handle.DangerousRelease();
        }
    }

    private static List<OrtTensorInfo> ReadInfos(OrtApi api, IntPtr session, bool input)
    {
        nuint count;
        OrtStatusCheck.ThrowIfFailed(input ? api.SessionGetInputCount(session, &count) : api.SessionGetOutputCount(session, &count));
        IntPtr allocator;
        OrtStatusCheck.ThrowIfFailed(api.GetAllocatorWithDefaultOptions(&allocator));
        var list = new List<OrtTensorInfo>((int)count);
        for (nuint i = 0; i < count; i++)
        {
            IntPtr namePtr;
            OrtStatusCheck.ThrowIfFailed(input
                ? api.SessionGetInputName(session, i, allocator, &namePtr)
                : api.SessionGetOutputName(session, i, allocator, &namePtr));
            var name = Marshal.PtrToStringUTF8(namePtr) ?? "";
            OrtStatusCheck.ThrowIfFailed(api.AllocatorFree(allocator, (void*)namePtr));

            using var typeInfo = new OrtTypeInfoHandle();
            IntPtr ti;
            OrtStatusCheck.ThrowIfFailed(input ? api.SessionGetInputTypeInfo(session, i, &ti) : api.SessionGetOutputTypeInfo(session, i, &ti));
            Marshal.InitHandle(typeInfo, ti);
            list.Add(ReadTensorInfo(api, name, ti));
        }
        return list;
    }

    private static OrtTensorInfo ReadTensorInfo(OrtApi api, string name, IntPtr typeInfo)
    {
        int onnxType;
        OrtStatusCheck.ThrowIfFailed(api.GetOnnxTypeFromTypeInfo(typeInfo, &onnxType));
        const int OnnxTypeTensor = 1;
        if (onnxType != OnnxTypeTensor) return new OrtTensorInfo(name, OnnxElementType.Undefined, [], [], IsTensor: false);

        IntPtr info; // owned by typeInfo
        OrtStatusCheck.ThrowIfFailed(api.CastTypeInfoToTensorInfo(typeInfo, &info));
        int elementType;
        OrtStatusCheck.ThrowIfFailed(api.GetTensorElementType(info, &elementType));
        nuint rank;
        OrtStatusCheck.ThrowIfFailed(api.GetDimensionsCount(info, &rank));
        var dims = new long[(int)rank];
        var symbolic = new string[(int)rank];
        if (rank > 0)
        {
            fixed (long* d = dims) OrtStatusCheck.ThrowIfFailed(api.GetDimensions(info, d, rank));
            var names = stackalloc IntPtr[(int)rank];
            OrtStatusCheck.ThrowIfFailed(api.GetSymbolicDimensions(info, names, rank));
            for (var k = 0; k < (int)rank; k++) symbolic[k] = names[k] == IntPtr.Zero ? "" : Marshal.PtrToStringUTF8(names[k]) ?? "";
        }
        for (var k = 0; k < dims.Length; k++)
        {
            if (dims[k] < 0) dims[k] = -1; // ORT reports unknown dims as -1; keep one spelling
        }
        return new OrtTensorInfo(name, (OnnxElementType)elementType, dims, symbolic, IsTensor: true);
    }

    public void Dispose() => _handle.Dispose();
}
