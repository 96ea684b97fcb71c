using System.Reflection;
using System.Runtime.InteropServices;
using OvStateful.Core.Engines;

namespace OvStateful.OpenVino.Interop;

/// <summary>
/// Loads libovs_openvino_shim once per process and routes <see cref="ShimNative"/>'s imports to
/// it. The shim carries an RPATH to the OpenVINO it was built against, so it is loaded first as
/// it is; only when that fails is libopenvino.so preloaded from where the finder saw it and the
/// shim tried again (a shim copied away from its OpenVINO). The outcome, success with the
/// runtime's version and folder or the reason for failure, is computed once and kept.
/// </summary>
internal static class ShimLibrary
{
    /// <summary>The ABI this assembly was written against (OVS_SHIM_ABI_VERSION).</summary>
    public const int ExpectedAbiVersion = 2;

    private static readonly Lazy<EngineAvailability> s_availability = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    // Set once by Load before the resolver is installed; the resolver only reads it.
    private static IntPtr s_shim;

    public static EngineAvailability Availability => s_availability.Value;

    /// <summary>Throws <see cref="EngineUnavailableException"/> with the finder's one-line reason when the shim cannot be used.</summary>
    public static void EnsureLoaded()
    {
        var a = Availability;
        if (!a.IsAvailable) throw new EngineUnavailableException(a.Reason);
    }

    /// <summary>The shim's message for the last failure on this thread.</summary>
    public static string LastError()
    {
        if (s_shim == IntPtr.Zero) return "";
        return Marshal.PtrToStringUTF8(ShimNative.ovs_last_error()) ?? "";
    }

    private static EngineAvailability Load()
    {
        var location = OpenVinoRuntimeFinder.Locate(
            FileProbe.System,
            Environment.GetEnvironmentVariable,
            AppContext.BaseDirectory,
            Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
        if (location.ShimPath is null) return EngineAvailability.Unavailable(location.NotFoundReason());

        if (!TryLoad(location.ShimPath, out var handle, out var firstError))
        {
            string runtime;
            if (location.OpenVinoLibrary is null)
            {
                runtime = $"{OpenVinoRuntimeFinder.RuntimeFileName} not found in {string.Join(", ", location.RuntimeSearched)}";
            }
            else if (!TryLoad(location.OpenVinoLibrary, out _, out var preloadError))
            {
                runtime = $"{location.OpenVinoLibrary}: {preloadError}";
            }
            else if (!TryLoad(location.ShimPath, out handle, out var secondError))
            {
                runtime = $"{location.OpenVinoLibrary} loaded, then the shim still failed: {secondError}";
            }
            else
            {
                runtime = "";
            }
            if (handle == IntPtr.Zero)
            {
                return EngineAvailability.Unavailable(
                    $"OpenVINO shim {location.ShimPath} failed to load ({firstError}; {runtime}); {RuntimeLocation.InstallHint}");
            }
        }

        s_shim = handle;
        NativeLibrary.SetDllImportResolver(typeof(ShimLibrary).Assembly, Resolve);
        var abi = ShimNative.ovs_abi_version();
        if (abi != ExpectedAbiVersion)
        {
            return EngineAvailability.Unavailable(
                $"OpenVINO shim {location.ShimPath} has ABI version {abi}, this build needs {ExpectedAbiVersion}; rebuild it (dotnet build, or native/build.sh)");
        }
        var version = RuntimeVersion();
        var folder = RuntimeFolder();
        return EngineAvailability.Available($"OpenVINO {version} ({folder})") with { RuntimeVersion = version, RuntimeLocation = folder };
    }

    private static bool TryLoad(string path, out IntPtr handle, out string error)
    {
        try
        {
            handle = NativeLibrary.Load(path);
            error = "";
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            handle = IntPtr.Zero;
            error = e.Message;
            return false;
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path) =>
        name == ShimNative.Library ? s_shim : IntPtr.Zero;

    private static unsafe string RuntimeVersion()
    {
        var buf = stackalloc byte[128];
        return ShimNative.ovs_runtime_version(buf, 128) == 0 ? Marshal.PtrToStringUTF8((IntPtr)buf) ?? "?" : "?";
    }

    private static unsafe string RuntimeFolder()
    {
        try
        {
            return OvModel.ReadName((byte* b, int cap, out int needed) => ShimNative.ovs_runtime_location(b, cap, out needed));
        }
        catch (OpenVinoException)
        {
            return "?";
        }
    }
}
