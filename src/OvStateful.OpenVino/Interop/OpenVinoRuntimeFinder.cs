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
        "install OpenVINO 2026 (pip install openvino==2026.4.1, the archive, or Intel's apt packages; see docs/openvino.md) and rebuild: dotnet build builds the shim against it (or run native/build.sh)";

    /// <summary>One line: what was looked for where, and how to install it.</summary>
    public string NotFoundReason() =>
        $"OpenVINO runtime not found (looked for {OpenVinoRuntimeFinder.ShimFileName} in {string.Join(", ", ShimSearched)}; " +
        $"{OpenVinoRuntimeFinder.RuntimeFileName} in {string.Join(", ", RuntimeSearched)}); {InstallHint}";
}

/// <summary>
/// Finds libovs_openvino_shim.so and libopenvino.so. The shim: OVS_OPENVINO_SHIM, beside the
/// assembly (where the build puts it), the checkout's native/build, INTEL_OPENVINO_DIR,
/// LD_LIBRARY_PATH. OpenVINO itself (needed only when the shim's own RPATH does not lead to it):
/// OVS_OPENVINO_DIR, INTEL_OPENVINO_DIR, OpenVINO_DIR (each in the wheel layout, libs/, or the
/// archive's, lib/intel64/), LD_LIBRARY_PATH, a pip-installed openvino package (PYTHONPATH,
/// VIRTUAL_ENV, the user's and the system's site-packages), the archive under /opt/intel,
/// Intel's apt packages, a NuGet OpenVINO.runtime.* package, beside the assembly.
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

        var ovsDir = NonEmpty(environment("OVS_OPENVINO_DIR"));
        if (ovsDir is not null) runtimePlaces.AddRange(LibraryFolders(ovsDir));
        if (intelDir is not null) runtimePlaces.Add(Path.Combine(intelDir, "runtime", "lib", "intel64"));
        // OpenVINO_DIR is the CMake folder: <install>/runtime/cmake (archive, libraries in ../lib/intel64)
        // or site-packages/openvino/cmake (wheel, libraries in ../libs).
        if (cmakeDir is not null) runtimePlaces.AddRange(LibraryFolders(cmakeDir));
        runtimePlaces.AddRange(ldPaths);
        // pip install openvino: site-packages/openvino/libs.
        foreach (var p in (NonEmpty(environment("PYTHONPATH")) ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            runtimePlaces.Add(Path.Combine(p, "openvino", "libs"));
        if (NonEmpty(environment("VIRTUAL_ENV")) is { } venv) runtimePlaces.Add(Path.Combine(venv, "lib", "python3*", "site-packages", "openvino", "libs"));
        runtimePlaces.Add(Path.Combine(homeDirectory, ".local", "lib", "python3*", "site-packages", "openvino", "libs"));
        runtimePlaces.Add("/usr/local/lib/python3*/dist-packages/openvino/libs");
        runtimePlaces.Add("/usr/lib/python3/dist-packages/openvino/libs");
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

    /// <summary>
    /// Where libopenvino.so sits for a folder naming an install: a CMake folder's sibling libs/ (wheel)
    /// or lib/intel64 (archive's runtime/); a package or install root's libs/ or runtime/lib/intel64.
    /// </summary>
    private static string[] LibraryFolders(string dir)
    {
        var full = Path.GetFullPath(dir).TrimEnd('/');
        if (Path.GetFileName(full) == "cmake")
        {
            var parent = Path.GetDirectoryName(full) ?? full;
            return [Path.Combine(parent, "libs"), Path.Combine(parent, "lib", "intel64")];
        }
        return [Path.Combine(full, "libs"), Path.Combine(full, "runtime", "lib", "intel64")];
    }

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static List<string> Distinct(List<string> places)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return places.Where(seen.Add).ToList();
    }
}
