using Microsoft.ML.OnnxRuntime;
using OvStateful.Core.Tensors;

namespace OvStateful.OnnxRuntime;

/// <summary>
/// OrtValues over memory we own (pinned host arrays, or device memory). ORT neither copies nor
/// frees that memory, so it must stay allocated (and pinned) for as long as the value or any
/// binding it was bound into lives.
/// </summary>
internal static class OrtTensors
{
    public static OrtValue OverMemory(OrtMemoryInfo memory, IntPtr data, long byteCount, long[] shape, DataType type) =>
        OrtValue.CreateTensorValueWithData(memory, type.ToOrt(), shape, data, byteCount);

    /// <summary>A host tensor over the first <paramref name="byteCount"/> bytes of a pinned (POH) array.</summary>
    public static unsafe OrtValue OverPinned(byte[] pinned, long byteCount, long[] shape, DataType type)
    {
        fixed (byte* p = pinned) return OverMemory(OrtMemoryInfo.DefaultInstance, (IntPtr)p, byteCount, shape, type);
    }
}
