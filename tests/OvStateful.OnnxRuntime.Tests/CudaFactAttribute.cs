using OvStateful.OnnxRuntime.Interop;

namespace OvStateful.OnnxRuntime.Tests;

/// <summary>
/// Runs only where the CUDA path can run: a CUDA device seen through libcudart, and the ONNX
/// Runtime GPU build (`dotnet test -p:OrtGpu=true`, or OVS_ORT_LIBRARY naming a GPU build).
/// Elsewhere the test is skipped with the reason.
/// </summary>
public sealed class CudaTheoryAttribute : TheoryAttribute
{
    public CudaTheoryAttribute()
    {
        if (SkipReason() is { } reason) Skip = reason;
    }

    internal static string? SkipReason()
    {
        if (!CudaRuntime.IsAvailable(out var why)) return "CUDA tests need a GPU: " + why;
        if (!OrtNativeLibrary.TryGet(out var lib, out var reason)) return "CUDA tests need ONNX Runtime: " + reason;
        if (!lib!.HasCuda)
            return $"CUDA tests need the ONNX Runtime GPU build: run them with -p:OrtGpu=true (ONNX Runtime {lib.Version} at {lib.Path} has {string.Join(", ", lib.ExecutionProviders)})";
        return null;
    }
}
