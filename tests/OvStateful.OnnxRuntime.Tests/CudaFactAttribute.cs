using OvStateful.OnnxRuntime.Interop;

namespace OvStateful.OnnxRuntime.Tests;

/// <summary>
/// Runs only where the CUDA path can run: a CUDA device seen through libcudart, and an ONNX
/// Runtime GPU build (its CUDA provider beside the library OVS_ORT_LIBRARY names: see
/// `eng/fetch-assets.sh gpu`). Elsewhere the test is skipped with the reason.
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
        var lib = Environment.GetEnvironmentVariable(OrtLibrary.EnvironmentVariable);
        var provider = lib is null ? null : Path.Combine(Path.GetDirectoryName(lib)!, "libonnxruntime_providers_cuda.so");
        if (provider is null || !File.Exists(provider))
            return $"CUDA tests need the ONNX Runtime GPU build: run eng/fetch-assets.sh gpu and set {OrtLibrary.EnvironmentVariable} to its libonnxruntime.so";
        return null;
    }
}
