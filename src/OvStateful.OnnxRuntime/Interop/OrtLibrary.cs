using System.Runtime.InteropServices;

namespace OvStateful.OnnxRuntime.Interop;

/// <summary>
/// Finds and loads libonnxruntime once per process. Order: <c>OVS_ORT_LIBRARY</c> (a full
/// path, nothing else is tried), then the copy the build placed beside our assembly, then
/// the system loader's search path. Failure lists every path tried and how to fix it.
/// </summary>
internal static class OrtLibrary
{
    public const string EnvironmentVariable = "OVS_ORT_LIBRARY";

    /// <summary>
    /// The OrtApi version we request: ORT 1.29 (the GPU build) serves up to 29 and refuses 30,
    /// 1.30 serves 29 too. Older libraries refuse it, which we report as "too old".
    /// </summary>
    public const uint ApiVersion = 29;

    private static readonly Lazy<LoadedLibrary> Loaded = new(() => LoadFirst(CandidatePaths()), LazyThreadSafetyMode.ExecutionAndPublication);

    public static LoadedLibrary Get() => Loaded.Value;

    /// <summary>True when the library loads and serves <see cref="ApiVersion"/>; otherwise the reason.</summary>
    public static bool TryGet(out LoadedLibrary? library, out string reason)
    {
        try
        {
            library = Loaded.Value;
            reason = "";
            return true;
        }
        catch (OrtLibraryException e)
        {
            library = null;
            reason = e.Message;
            return false;
        }
    }

    /// <summary>The candidate paths in the order they are tried.</summary>
    public static IReadOnlyList<string> CandidatePaths()
    {
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(env)) return [env];
        var here = Path.GetDirectoryName(typeof(OrtLibrary).Assembly.Location) ?? AppContext.BaseDirectory;
        return
        [
            Path.Combine(here, "libonnxruntime.so.1"),
            Path.Combine(AppContext.BaseDirectory, "libonnxruntime.so.1"),
            "libonnxruntime.so.1",
            "libonnxruntime.so",
        ];
    }

    /// <summary>Loads the first candidate that is ONNX Runtime serving <see cref="ApiVersion"/> (not cached).</summary>
    internal static unsafe LoadedLibrary LoadFirst(IEnumerable<string> candidates)
    {
        var tried = new List<string>();
        foreach (var path in candidates.Distinct())
        {
            var explicitPath = path.Contains('/');
            if (explicitPath && !File.Exists(path))
            {
                tried.Add($"{path} (no such file)");
                continue;
            }
            if (!NativeLibrary.TryLoad(path, out var handle))
            {
                tried.Add($"{path} (could not be loaded: {LoadError(path)})");
                continue;
            }
            if (!NativeLibrary.TryGetExport(handle, "OrtGetApiBase", out var getApiBase))
            {
                tried.Add($"{path} (has no OrtGetApiBase: not ONNX Runtime)");
                continue;
            }
            var apiBase = ((delegate* unmanaged<IntPtr>)getApiBase)();
            // struct OrtApiBase { const OrtApi* (*GetApi)(uint32_t); const char* (*GetVersionString)(void); }
            var getApi = ((delegate* unmanaged<uint, IntPtr>*)apiBase)[0];
            var getVersion = ((delegate* unmanaged<IntPtr>*)apiBase)[1];
            var version = Marshal.PtrToStringUTF8(getVersion()) ?? "?";
            var api = getApi(ApiVersion);
            if (api == IntPtr.Zero)
            {
                throw new OrtLibraryException(
                    $"ONNX Runtime at {path} is version {version}, which does not serve OrtApi version {ApiVersion}; " +
                    $"ONNX Runtime 1.29 or newer is required. Unset {EnvironmentVariable} to use the build's own 1.30, or point it at a newer libonnxruntime.so.");
            }
            return new LoadedLibrary(path, version, new OrtApi(api));
        }
        throw new OrtLibraryException(
            "ONNX Runtime's native library was not found. Tried: " + string.Join("; ", tried) +
            $". Fix: build the solution once (it fetches onnxruntime-node@1.30.0 from npm via eng/fetch-assets.sh ort), " +
            $"or set {EnvironmentVariable} to the full path of a libonnxruntime.so (1.29 or newer).");
    }

    private static string LoadError(string path)
    {
        try
        {
            NativeLibrary.Free(NativeLibrary.Load(path));
            return "unknown";
        }
        catch (Exception e)
        {
            return e.Message;
        }
    }
}

/// <summary>The loaded library: where it came from, its version, and its function table.</summary>
internal sealed record LoadedLibrary(string Path, string Version, OrtApi Api);

/// <summary>The native library is missing, unloadable or too old. The message says how to fix it.</summary>
public sealed class OrtLibraryException(string message) : Exception(message);
