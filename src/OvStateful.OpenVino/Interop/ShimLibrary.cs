using System.Reflection;
using System.Runtime.InteropServices;
using OvStateful.Core.Engines;

namespace OvStateful.OpenVino.Interop;

/// <summary>
/// Loads libovs_openvino_shim once per process (preloading libopenvino.so from where the finder
/// saw it, so the shim's dependency resolves without LD_LIBRARY_PATH) and routes
/// <see cref="ShimNative"/>'s imports to it. The outcome, success or the reason for failure,
/// is computed once and kept.
/// </summary>
internal static class ShimLibrary
{
    /// <summary>The ABI this assembly was written against (OVS_SHIM_ABI_VERSION).</summary>
    public const int ExpectedAbiVersion = 1;

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

        string? preloadError = null;
        if (location.OpenVinoLibrary is not null)
        {
            try { NativeLibrary.Load(location.OpenVinoLibrary); }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException) { preloadError = $"{location.OpenVinoLibrary}: {e.Message}"; }
        }

        IntPtr handle;
        try { handle = NativeLibrary.Load(location.ShimPath); }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            var runtime = location.OpenVinoLibrary is null
                ? $"{OpenVinoRuntimeFinder.RuntimeFileName} not found in {string.Join(", ", location.RuntimeSearched)}"
                : preloadError ?? $"{location.OpenVinoLibrary} loaded";
            return EngineAvailability.Unavailable(
                $"OpenVINO shim {location.ShimPath} failed to load ({e.Message}; {runtime}); {RuntimeLocation.InstallHint}");
        }

        s_shim = handle;
        NativeLibrary.SetDllImportResolver(typeof(ShimLibrary).Assembly, Resolve);
        var abi = ShimNative.ovs_abi_version();
        if (abi != ExpectedAbiVersion)
        {
            return EngineAvailability.Unavailable(
                $"OpenVINO shim {location.ShimPath} has ABI version {abi}, this build needs {ExpectedAbiVersion}; rebuild it with native/build.sh");
        }
        return EngineAvailability.Available($"OpenVINO {RuntimeVersion()} via {location.ShimPath}");
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path) =>
        name == ShimNative.Library ? s_shim : IntPtr.Zero;

    private static unsafe string RuntimeVersion()
    {
        var buf = stackalloc byte[128];
        return ShimNative.ovs_runtime_version(buf, 128) == 0 ? Marshal.PtrToStringUTF8((IntPtr)buf) ?? "?" : "?";
    }
}
