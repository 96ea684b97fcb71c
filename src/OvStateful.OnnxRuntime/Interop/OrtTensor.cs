using OvStateful.Core.Tensors;
using System.Runtime.InteropServices;

namespace OvStateful.OnnxRuntime.Interop;

/// <summary>
/// An OrtValue tensor over memory the caller owns (host or device). ORT neither copies nor
/// frees that memory, so the caller keeps it alive (pinned) until this value is disposed.
/// </summary>
internal static unsafe class OrtTensor
{
    public static OrtValueHandle OverMemory(OrtMemoryInfoHandle memoryInfo, void* data, long byteCount, ReadOnlySpan<long> shape, OnnxElementType type)
    {
        var api = OrtLibrary.Get().Api;
        var handle = new OrtValueHandle();
        IntPtr value;
        fixed (long* s = shape)
        {
            OrtStatusCheck.ThrowIfFailed(api.CreateTensorWithDataAsOrtValue(
                memoryInfo.Pointer, data, (nuint)byteCount, s, (nuint)shape.Length, (int)type, &value));
        }
        Marshal.InitHandle(handle, value);
        return handle;
    }

    /// <summary>A host tensor over the first <paramref name="byteCount"/> bytes of a pinned (POH) array, which the caller keeps referenced.</summary>
    public static OrtValueHandle OverPinned(byte[] pinned, long byteCount, ReadOnlySpan<long> shape, DataType type)
    {
        fixed (byte* p = pinned) return OverMemory(OrtMemory.Cpu, p, byteCount, shape, type.ToOnnx());
    }
}
