using System.Globalization;
using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.OnnxRuntime.Interop;

namespace OvStateful.OnnxRuntime;

/// <summary>Where a model instance was asked to run and where it runs.</summary>
/// <param name="Requested">"cpu", "auto" (no ort_ep, KIND_AUTO/KIND_MODEL), "cuda:N" or "trt:N": from the device override, the instance kind and ort_ep.</param>
/// <param name="Used">"cpu", "cuda:N" or "trt:N": the execution provider the session runs on.</param>
/// <param name="Reason">Why <paramref name="Used"/> is not what was asked; "" when it is (or when "auto" chose).</param>
public sealed record OrtDevicePlacement(string Requested, string Used, string Reason)
{
    /// <summary>True when the instance runs somewhere other than where it was asked to.</summary>
    public bool FellBack => Reason.Length > 0;
}

/// <summary>What this machine and library offer GPU sessions: null where a provider can run, else why it cannot.</summary>
internal sealed record GpuSupport(string? CudaMissing, string? TensorRtMissing)
{
    public static GpuSupport Probe(OrtLibraryInfo library)
    {
        var cuda = !CudaRuntime.IsAvailable(out var why) ? $"no usable CUDA runtime ({why})"
            : !library.HasCuda ? $"ONNX Runtime {library.Version} at {library.Path} has no CUDA execution provider (build with -p:OrtGpu=true for the GPU package)"
            : null;
        var trt = cuda ?? (!library.HasTensorRt ? $"ONNX Runtime {library.Version} at {library.Path} has no TensorRT execution provider" : null);
        return new GpuSupport(cuda, trt);
    }
}

/// <summary>
/// Picks the execution provider as the stateful backend does (KIND_CPU: CPU; GPU instances:
/// ort_ep, trt or cuda) and decides what happens where that provider cannot run: a config
/// written for GPUs still serves on the CPU provider (the conformance models must load
/// anywhere), saying why; an explicit device override is never substituted.
/// </summary>
internal static class OrtDeviceChoice
{
    public static (OrtExecutionProvider Provider, OrtDevicePlacement Placement) Choose(OrtEpKind ep, string? explicitDevice, int deviceId, GpuSupport support)
    {
        var wanted = explicitDevice is not null ? FromDevice(explicitDevice) : ep;
        var requested = wanted switch
        {
            OrtEpKind.Cpu => "cpu",
            OrtEpKind.Auto => "auto",
            OrtEpKind.TensorRt => Name(OrtExecutionProvider.TensorRt, deviceId),
            _ => Name(OrtExecutionProvider.Cuda, deviceId),
        };
        var (provider, reason) = wanted switch
        {
            OrtEpKind.Cpu => (OrtExecutionProvider.Cpu, ""),
            OrtEpKind.Auto => support.CudaMissing is null ? (OrtExecutionProvider.Cuda, "") : (OrtExecutionProvider.Cpu, ""),
            OrtEpKind.Cuda => support.CudaMissing is null ? (OrtExecutionProvider.Cuda, "") : (OrtExecutionProvider.Cpu, support.CudaMissing),
            _ => support.TensorRtMissing is null ? (OrtExecutionProvider.TensorRt, "")
                : support.CudaMissing is null ? (OrtExecutionProvider.Cuda, support.TensorRtMissing)
                : (OrtExecutionProvider.Cpu, support.CudaMissing),
        };
        if (explicitDevice is not null && reason.Length > 0)
            throw new EngineException($"device {explicitDevice} was asked for, but {reason}; ask for cpu, or run where CUDA is present with the GPU build");
        return (provider, new OrtDevicePlacement(requested, Name(provider, deviceId), reason));
    }

    /// <summary>The CUDA device of an override like "cuda:1"; null when it names none.</summary>
    public static int? DeviceId(string? device) =>
        device is not null && device.IndexOf(':') is var colon and >= 0 ? int.Parse(device[(colon + 1)..], CultureInfo.InvariantCulture) : null;

    private static OrtEpKind FromDevice(string device) =>
        device.StartsWith("trt", StringComparison.OrdinalIgnoreCase) ? OrtEpKind.TensorRt
        : device.StartsWith("cuda", StringComparison.OrdinalIgnoreCase) ? OrtEpKind.Cuda
        : OrtEpKind.Cpu;

    private static string Name(OrtExecutionProvider provider, int deviceId) => provider switch
    {
        OrtExecutionProvider.Cuda => $"cuda:{deviceId}",
        OrtExecutionProvider.TensorRt => $"trt:{deviceId}",
        _ => "cpu",
    };
}
