using System.Runtime.InteropServices;

namespace OvStateful.OnnxRuntime.Interop;

/// <summary>OrtMemoryInfo for the places our tensors live: host memory, or a CUDA device.</summary>
internal static unsafe class OrtMemory
{
    private const int OrtDeviceAllocator = 0;
    private const int OrtArenaAllocator = 1;
    private const int OrtMemTypeDefault = 0;

    private static readonly Lazy<OrtMemoryInfoHandle> CpuInfo = new(CreateCpu, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Host memory (shared, lives for the process).</summary>
    public static OrtMemoryInfoHandle Cpu => CpuInfo.Value;

    /// <summary>Device memory on CUDA device <paramref name="deviceId"/> (ORT's "Cuda" allocator name).</summary>
    public static OrtMemoryInfoHandle Cuda(int deviceId)
    {
        var api = OrtLibrary.Get().Api;
        var handle = new OrtMemoryInfoHandle();
        IntPtr p;
        fixed (byte* name = Utf8.Z("Cuda"))
        {
            OrtStatusCheck.ThrowIfFailed(api.CreateMemoryInfo(name, OrtDeviceAllocator, deviceId, OrtMemTypeDefault, &p));
        }
        Marshal.InitHandle(handle, p);
        return handle;
    }

    private static OrtMemoryInfoHandle CreateCpu()
    {
        var api = OrtLibrary.Get().Api;
        var handle = new OrtMemoryInfoHandle();
        IntPtr p;
        OrtStatusCheck.ThrowIfFailed(api.CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &p));
        Marshal.InitHandle(handle, p);
        return handle;
    }
}
