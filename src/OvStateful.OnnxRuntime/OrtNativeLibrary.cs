using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace OvStateful.OnnxRuntime;

/// <summary>
/// Which libonnxruntime the official C# API binds to, decided once per process before any ORT
/// type is used: <c>OVS_ORT_LIBRARY</c> (a full path; nothing else is tried), else the copy the
/// NuGet package placed beside our assembly, else the runtime's own library search. We take
/// over the API's DllImport resolution (<see cref="OrtEnv.DisableDllImportResolver"/>) so the
/// path is ours to choose; a library that is missing, not ONNX Runtime, or older than the API
/// needs fails with one message that lists what was tried and the minimum version.
/// </summary>
internal static class OrtNativeLibrary
{
    public const string EnvironmentVariable = "OVS_ORT_LIBRARY";

    /// <summary>The oldest native the 1.31 C# API accepts: it asks the library for OrtApi version 31.</summary>
    public const string MinimumVersion = "1.31";

    // The library name in the C# API's [DllImport]s.
    private const string ImportName = "onnxruntime";

    private static readonly Lazy<Candidate> Chosen = new(Register, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<OrtLibraryInfo> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Installs our resolver if nothing has used ONNX Runtime yet. Cheap after the first call; loads nothing.</summary>
    public static void EnsureResolver() => _ = Chosen.Value;

    /// <summary>The loaded library; throws <see cref="OrtLibraryException"/> (always the same one) when it cannot be used.</summary>
    public static OrtLibraryInfo Get() => Loaded.Value;

    /// <summary>True when the library loads and the C# API accepts it; otherwise the reason.</summary>
    public static bool TryGet(out OrtLibraryInfo? library, out string reason)
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

    /// <summary>The paths tried in order: <paramref name="explicitPath"/> alone when given, else the copies beside the binaries.</summary>
    public static IReadOnlyList<string> CandidatePaths(string? explicitPath)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath)) return [explicitPath];
        var here = Path.GetDirectoryName(typeof(OrtNativeLibrary).Assembly.Location) ?? AppContext.BaseDirectory;
        return new[] { Path.Combine(here, "libonnxruntime.so"), Path.Combine(AppContext.BaseDirectory, "libonnxruntime.so") }.Distinct().ToArray();
    }

    /// <summary>
    /// Loads the first candidate that is a loadable ONNX Runtime library (it exports OrtGetApiBase);
    /// otherwise throws, listing every path and why it was passed over. Not cached.
    /// </summary>
    internal static Candidate Probe(IEnumerable<string> candidates)
    {
        var tried = new List<string>();
        foreach (var path in candidates)
        {
            if (!File.Exists(path))
            {
                tried.Add($"{path} (no such file)");
                continue;
            }
            if (!NativeLibrary.TryLoad(path, out var handle))
            {
                tried.Add($"{path} (could not be loaded: {LoadError(path)})");
                continue;
            }
            if (!NativeLibrary.TryGetExport(handle, "OrtGetApiBase", out _))
            {
                tried.Add($"{path} (has no OrtGetApiBase: not ONNX Runtime)");
                continue;
            }
            return new Candidate(path, handle, tried);
        }
        throw new OrtLibraryException(NotFound(tried));
    }

    private static Candidate Register()
    {
        var explicitPath = Environment.GetEnvironmentVariable(EnvironmentVariable);
        Candidate chosen;
        try
        {
            chosen = Probe(CandidatePaths(explicitPath));
        }
        catch (OrtLibraryException e) when (string.IsNullOrWhiteSpace(explicitPath))
        {
            // Nothing beside the binaries: the runtime's own search (deps.json, LD_LIBRARY_PATH) may still find it.
            chosen = new Candidate(null, IntPtr.Zero, [e.Message]);
        }
        catch (OrtLibraryException e)
        {
            chosen = new Candidate(null, IntPtr.Zero, [e.Message]) { Refused = true };
        }
        try
        {
            OrtEnv.DisableDllImportResolver = true;
            NativeLibrary.SetDllImportResolver(typeof(OrtEnv).Assembly, (name, _, _) => name == ImportName ? chosen.Handle : IntPtr.Zero);
        }
        catch (InvalidOperationException) when (string.IsNullOrWhiteSpace(explicitPath))
        {
            // Someone set a resolver for the C# API before us (a host application): theirs decides.
        }
        catch (InvalidOperationException)
        {
            chosen = new Candidate(null, IntPtr.Zero, [$"{EnvironmentVariable}={explicitPath} cannot be honoured: ONNX Runtime's library was resolved before OvStateful could choose it (something used the ONNX Runtime API first)"]) { Refused = true };
        }
        return chosen;
    }

    private static OrtLibraryInfo Load()
    {
        var chosen = Chosen.Value;
        // An explicit path that cannot be used must never fall back to another library.
        if (chosen.Refused) throw new OrtLibraryException(chosen.Tried[0]);
        var where = chosen.Path ?? "found by the runtime's library search";
        try
        {
            var env = OrtEnv.Instance();
            return new OrtLibraryInfo(chosen.Path ?? "(runtime library search)", env.GetVersionString(), env.GetAvailableProviders());
        }
        catch (TypeInitializationException e) when (e.InnerException is InvalidOperationException old)
        {
            throw new OrtLibraryException(
                $"ONNX Runtime at {where} is too old for this build: {old.Message} ONNX Runtime {MinimumVersion} or newer is required. " +
                $"Unset {EnvironmentVariable} to use the library the build placed beside the binaries (NuGet Microsoft.ML.OnnxRuntime), or point it at a {MinimumVersion}+ libonnxruntime.so.");
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            var inner = e is TypeInitializationException { InnerException: { } i } ? i : e;
            throw new OrtLibraryException(chosen.Path is null
                ? NotFound([.. chosen.Tried, $"the runtime's library search ({inner.Message})"])
                : $"ONNX Runtime at {chosen.Path} could not be used: {inner.Message}");
        }
    }

    private static string NotFound(IEnumerable<string> tried) =>
        "ONNX Runtime's native library was not found. Tried: " + string.Join("; ", tried) +
        $". Fix: build the solution (NuGet Microsoft.ML.OnnxRuntime puts libonnxruntime.so beside the binaries), " +
        $"or set {EnvironmentVariable} to the full path of a libonnxruntime.so, version {MinimumVersion} or newer.";

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

    /// <summary>The library chosen at registration: its path and handle (null/zero: the runtime searches), and what was passed over.</summary>
    internal sealed record Candidate(string? Path, IntPtr Handle, IReadOnlyList<string> Tried)
    {
        /// <summary>The explicit path could not be used: every load must fail with <see cref="Tried"/>[0].</summary>
        public bool Refused { get; init; }
    }
}

/// <summary>The ONNX Runtime library in use: where it was loaded from, its version, and the execution providers it was built with.</summary>
public sealed record OrtLibraryInfo(string Path, string Version, IReadOnlyList<string> ExecutionProviders)
{
    public bool HasCuda => ExecutionProviders.Contains("CUDAExecutionProvider");
    public bool HasTensorRt => ExecutionProviders.Contains("TensorrtExecutionProvider");
}

/// <summary>The native library is missing, unloadable or too old. The message says what was tried and how to fix it.</summary>
public sealed class OrtLibraryException(string message) : Exception(message);
