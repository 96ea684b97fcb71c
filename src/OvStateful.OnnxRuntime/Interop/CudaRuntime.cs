using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace OvStateful.OnnxRuntime.Interop;

/// <summary>
/// The few CUDA runtime calls the device state arena needs, which the ONNX Runtime C# API does
/// not offer (libcudart, loaded on demand: CUDA 13 first, as ORT 1.31's GPU build needs, then
/// 12, then any libcudart.so). Strided copies (cudaMemcpy2DAsync) gather slots along a batch
/// axis that is not axis 0.
/// </summary>
internal static unsafe class CudaRuntime
{
    public const int HostToDevice = 1;
    public const int DeviceToHost = 2;
    public const int DeviceToDevice = 3;

    private static readonly Lazy<Functions?> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    private static string _loadFailure = "";

    /// <summary>True when libcudart loads and sees at least one device; otherwise why not.</summary>
    public static bool IsAvailable(out string reason)
    {
        var f = Loaded.Value;
        if (f is null) { reason = _loadFailure; return false; }
        int count;
        var err = f.GetDeviceCount(&count);
        if (err != 0 || count == 0) { reason = $"libcudart loaded but sees no CUDA device ({ErrorString(f, err)})"; return false; }
        reason = "";
        return true;
    }

    private static Functions F => Loaded.Value ?? throw new EngineCudaException($"CUDA runtime unavailable: {_loadFailure}");

    public static void SetDevice(int device) => Check(F.SetDevice(device));

    public static IntPtr Malloc(long bytes)
    {
        void* p;
        Check(F.Malloc(&p, (nuint)Math.Max(bytes, 1)));
        return (IntPtr)p;
    }

    public static void Free(IntPtr p) => F.Free((void*)p); // called from SafeHandle.ReleaseHandle: never throws

    public static IntPtr CreateStream()
    {
        IntPtr s;
        Check(F.StreamCreate(&s));
        return s;
    }

    public static void DestroyStream(IntPtr s) => F.StreamDestroy(s);

    public static void Synchronize(IntPtr stream) => Check(F.StreamSynchronize(stream));

    public static void Copy(IntPtr dst, IntPtr src, long bytes, int kind, IntPtr stream) =>
        Check(F.MemcpyAsync((void*)dst, (void*)src, (nuint)bytes, kind, stream));

    /// <summary><paramref name="height"/> rows of <paramref name="width"/> bytes, each pitch apart.</summary>
    public static void Copy2D(IntPtr dst, long dpitch, IntPtr src, long spitch, long width, long height, int kind, IntPtr stream) =>
        Check(F.Memcpy2DAsync((void*)dst, (nuint)dpitch, (void*)src, (nuint)spitch, (nuint)width, (nuint)height, kind, stream));

    public static void Memset(IntPtr dst, int value, long bytes, IntPtr stream) => Check(F.MemsetAsync((void*)dst, value, (nuint)bytes, stream));

    private static void Check(int error, [CallerArgumentExpression(nameof(error))] string call = "")
    {
        if (error != 0) throw new EngineCudaException($"CUDA {call} failed: {ErrorString(F, error)} ({error})");
    }

    private static string ErrorString(Functions f, int error) => Marshal.PtrToStringUTF8(f.GetErrorString(error)) ?? error.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static Functions? Load()
    {
        var tried = new List<string>();
        foreach (var name in new[] { "libcudart.so.13", "libcudart.so.12", "libcudart.so" })
        {
            if (NativeLibrary.TryLoad(name, out var h)) return new Functions(h);
            tried.Add(name);
        }
        _loadFailure = $"no CUDA runtime library found (tried {string.Join(", ", tried)}); install the CUDA 13 runtime (what ONNX Runtime 1.31's GPU build needs) or put libcudart on LD_LIBRARY_PATH";
        return null;
    }

    private sealed class Functions(IntPtr lib)
    {
        public readonly delegate* unmanaged<int*, int> GetDeviceCount = (delegate* unmanaged<int*, int>)NativeLibrary.GetExport(lib, "cudaGetDeviceCount");
        public readonly delegate* unmanaged<int, int> SetDevice = (delegate* unmanaged<int, int>)NativeLibrary.GetExport(lib, "cudaSetDevice");
        public readonly delegate* unmanaged<void**, nuint, int> Malloc = (delegate* unmanaged<void**, nuint, int>)NativeLibrary.GetExport(lib, "cudaMalloc");
        public readonly delegate* unmanaged<void*, int> Free = (delegate* unmanaged<void*, int>)NativeLibrary.GetExport(lib, "cudaFree");
        public readonly delegate* unmanaged<IntPtr*, int> StreamCreate = (delegate* unmanaged<IntPtr*, int>)NativeLibrary.GetExport(lib, "cudaStreamCreate");
        public readonly delegate* unmanaged<IntPtr, int> StreamDestroy = (delegate* unmanaged<IntPtr, int>)NativeLibrary.GetExport(lib, "cudaStreamDestroy");
        public readonly delegate* unmanaged<IntPtr, int> StreamSynchronize = (delegate* unmanaged<IntPtr, int>)NativeLibrary.GetExport(lib, "cudaStreamSynchronize");
        // cudaMemcpyAsync(void* dst, const void* src, size_t count, cudaMemcpyKind kind, cudaStream_t stream)
        public readonly delegate* unmanaged<void*, void*, nuint, int, IntPtr, int> MemcpyAsync = (delegate* unmanaged<void*, void*, nuint, int, IntPtr, int>)NativeLibrary.GetExport(lib, "cudaMemcpyAsync");
        // cudaMemcpy2DAsync(void* dst, size_t dpitch, const void* src, size_t spitch, size_t width, size_t height, cudaMemcpyKind kind, cudaStream_t stream)
        public readonly delegate* unmanaged<void*, nuint, void*, nuint, nuint, nuint, int, IntPtr, int> Memcpy2DAsync = (delegate* unmanaged<void*, nuint, void*, nuint, nuint, nuint, int, IntPtr, int>)NativeLibrary.GetExport(lib, "cudaMemcpy2DAsync");
        // cudaMemsetAsync(void* devPtr, int value, size_t count, cudaStream_t stream)
        public readonly delegate* unmanaged<void*, int, nuint, IntPtr, int> MemsetAsync = (delegate* unmanaged<void*, int, nuint, IntPtr, int>)NativeLibrary.GetExport(lib, "cudaMemsetAsync");
        public readonly delegate* unmanaged<int, IntPtr> GetErrorString = (delegate* unmanaged<int, IntPtr>)NativeLibrary.GetExport(lib, "cudaGetErrorString");
    }
}

/// <summary>A CUDA runtime call failed.</summary>
public sealed class EngineCudaException(string message) : Exception(message);

/// <summary>Device memory from cudaMalloc, freed exactly once.</summary>
internal sealed class CudaDeviceBuffer : Microsoft.Win32.SafeHandles.SafeHandleZeroOrMinusOneIsInvalid
{
    public CudaDeviceBuffer(long bytes) : base(ownsHandle: true)
    {
        Bytes = bytes;
        SetHandle(CudaRuntime.Malloc(bytes));
    }

    public long Bytes { get; }
    public IntPtr Pointer => handle;

    protected override bool ReleaseHandle()
    {
        CudaRuntime.Free(handle);
        return true;
    }
}
