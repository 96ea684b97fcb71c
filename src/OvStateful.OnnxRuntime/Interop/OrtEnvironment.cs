using System.Runtime.InteropServices;

namespace OvStateful.OnnxRuntime.Interop;

/// <summary>ORT's logging level (OrtLoggingLevel).</summary>
public enum OrtLoggingLevel
{
    Verbose = 0,
    Info = 1,
    Warning = 2,
    Error = 3,
    Fatal = 4,
}

/// <summary>
/// The process-wide OrtEnv. ONNX Runtime allows one environment per process, so every
/// session shares this one; it lives until the process exits.
/// </summary>
internal static unsafe class OrtEnvironment
{
    private static readonly Lazy<OrtEnvHandle> Env = new(() => Create(OrtLoggingLevel.Warning), LazyThreadSafetyMode.ExecutionAndPublication);

    public static OrtEnvHandle Shared => Env.Value;

    private static OrtEnvHandle Create(OrtLoggingLevel level)
    {
        var api = OrtLibrary.Get().Api;
        var handle = new OrtEnvHandle();
        IntPtr env;
        fixed (byte* logId = Utf8.Z("ovstateful"))
        {
            OrtStatusCheck.ThrowIfFailed(api.CreateEnv((int)level, logId, &env));
        }
        Marshal.InitHandle(handle, env);
        return handle;
    }
}
