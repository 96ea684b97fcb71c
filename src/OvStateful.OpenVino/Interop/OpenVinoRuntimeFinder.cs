namespace OvStateful.OpenVino.Interop;

/// <summary>Where the shim and OpenVINO's runtime library were found, and every place that was searched.</summary>
/// <param name="ShimPath">libovs_openvino_shim.so, or null when not found.</param>
/// <param name="OpenVinoLibrary">libopenvino.so(.N), or null when not found (the shim may still resolve it through the loader's own paths).</param>
/// <param name="ShimSearched">Places searched for the shim, in order (patterns as written).</param>
/// <param name="RuntimeSearched">Places searched for libopenvino.so, in order.</param>
internal sealed record RuntimeLocation(
    string? ShimPath,
    string? OpenVinoLibrary,
    IReadOnlyList<string> ShimSearched,
    IReadOnlyList<string> RuntimeSearched)
{
    public const string InstallHint =
        "install OpenVINO 2025 (archive, apt or NuGet OpenVINO.runtime.ubuntu.22-x86_64) and build native/ with native/build.sh";

    /// <summary>One line: what was looked for where, and how to install it.</summary>
    public string NotFoundReason() =>
        $"OpenVINO runtime not found (looked for {OpenVinoRuntimeFinder.ShimFileName} in {string.Join(", ", ShimSearched)}; " +
        $"{OpenVinoRuntimeFinder.RuntimeFileName} in {string.Join(", ", RuntimeSearched)}); {InstallHint}";
}

/// <summary>
/// Finds libovs_openvino_shim.so and libopenvino.so. Order: explicit environment variables first
/// (OVS_OPENVINO_SHIM, INTEL_OPENVINO_DIR, OpenVINO_DIR, LD_LIBRARY_PATH), then the standard
/// install places (archive under /opt/intel, Intel's apt packages, a NuGet OpenVINO.runtime.*
/// package), then beside the assembly and the repository's native/build.
/// </summary>
internal static class OpenVinoRuntimeFinder
{
    public const string ShimFileName = "libovs_openvino_shim.so";
    public const string RuntimeFileName = "libopenvino.so";

    public static RuntimeLocation Locate(FileProbe probe, Func<string, string?> environment, string baseDirectory, string homeDirectory)
    {
        var shimPlaces = new List<string>();
        var runtimePlaces = new List<string>();
        var intelDir = NonEmpty(environment("INTEL_OPENVINO_DIR"));
        var cmakeDir = NonEmpty(environment("OpenVINO_DIR"));
        var ldPaths = (NonEmpty(environment("LD_LIBRARY_PATH")) ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        var explicitShim = NonEmpty(environment("OVS_OPENVINO_SHIM"));
        if (explicitShim is not null) shimPlaces.Add(explicitShim.EndsWith(".so", StringComparison.Ordinal) ? Path.GetDirectoryName(explicitShim) ?? explicitShim : explicitShim);
        shimPlaces.Add(baseDirectory);
        var repoBuild = FindRepositoryNativeBuild(probe, baseDirectory);
        if (repoBuild is not null) shimPlaces.Add(repoBuild);
        if (intelDir is not null) shimPlaces.Add(Path.Combine(intelDir, "runtime", "lib", "intel64"));
        shimPlaces.AddRange(ldPaths);

        if (intelDir is not null) runtimePlaces.Add(Path.Combine(intelDir, "runtime", "lib", "intel64"));
        // OpenVINO_DIR is <install>/runtime/cmake; the libraries sit in <install>/runtime/lib/intel64.
        if (cmakeDir is not null) runtimePlaces.Add(Path.GetFullPath(Path.Combine(cmakeDir, "..", "lib", "intel64")));
        runtimePlaces.AddRange(ldPaths);
        runtimePlaces.Add("/opt/intel/openvino*/runtime/lib/intel64");
        runtimePlaces.Add("/usr/lib/x86_64-linux-gnu");
        runtimePlaces.Add(Path.Combine(homeDirectory, ".nuget", "packages", "openvino.runtime.*", "*", "runtimes", "*", "native"));
        runtimePlaces.Add(baseDirectory);

        string? shim = null;
        if (explicitShim is not null && explicitShim.EndsWith(".so", StringComparison.Ordinal) && probe.FileExists(explicitShim)) shim = explicitShim;
        shim ??= FirstFile(probe, shimPlaces, ShimFileName, exactOnly: true);
        var runtime = FirstFile(probe, runtimePlaces, RuntimeFileName, exactOnly: false);
        return new RuntimeLocation(shim, runtime, Distinct(shimPlaces), Distinct(runtimePlaces));
    }

    /// <summary>Walks up from the assembly folder to the checkout that holds OvStateful.sln and returns its native/build.</summary>
    internal static string? FindRepositoryNativeBuild(FileProbe probe, string baseDirectory)
    {
        for (var dir = baseDirectory; !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            if (probe.FileExists(Path.Combine(dir, "OvStateful.sln"))) return Path.Combine(dir, "native", "build");
        }
        return null;
    }

    private static string? FirstFile(FileProbe probe, IEnumerable<string> places, string fileName, bool exactOnly)
    {
        foreach (var place in places)
        {
            IReadOnlyList<string> dirs = place.Contains('*') ? probe.Directories(place) : [place];
            // Newest install last in ordinal order; prefer it.
            for (var i = dirs.Count - 1; i >= 0; i--)
            {
                var exact = Path.Combine(dirs[i], fileName);
                if (probe.FileExists(exact)) return exact;
                if (exactOnly) continue;
                // Intel's apt packages ship only the versioned names (libopenvino.so.2025.2.0, .so.2520).
                var versioned = probe.Files(dirs[i], fileName + ".*");
                if (versioned.Count > 0) return versioned[^1];
            }
        }
        return null;
    }

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static List<string> Distinct(List<string> places)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return places.Where(seen.Add).ToList();
    }
}
