using System.Text.RegularExpressions;
using OvStateful.OpenVino.Interop;

namespace OvStateful.OpenVino.Tests;

/// <summary>A file system of a fixed set of files (their folders exist too).</summary>
internal sealed class FakeFiles(params string[] files) : FileProbe
{
    private readonly HashSet<string> _files = [.. files];
    private IEnumerable<string> Dirs => _files.SelectMany(Ancestors).Distinct();

    public override bool FileExists(string path) => _files.Contains(path);
    public override bool DirectoryExists(string path) => Dirs.Contains(path);

    public override IReadOnlyList<string> Files(string directory, string pattern)
    {
        var regex = Glob(Path.Combine(directory, pattern));
        return _files.Where(f => regex.IsMatch(f)).Order(StringComparer.Ordinal).ToList();
    }

    public override IReadOnlyList<string> Directories(string pattern)
    {
        var regex = Glob(pattern);
        return Dirs.Where(d => regex.IsMatch(d)).Order(StringComparer.Ordinal).ToList();
    }

    private static Regex Glob(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace("\\*", "[^/]*") + "$");

    private static IEnumerable<string> Ancestors(string file)
    {
        for (var d = Path.GetDirectoryName(file); !string.IsNullOrEmpty(d); d = Path.GetDirectoryName(d)) yield return d;
    }
}

public class RuntimeFinderTests
{
    private const string Base = "/app/bin";
    private const string Home = "/home/u";

    private static RuntimeLocation Locate(FileProbe files, Dictionary<string, string>? env = null) =>
        OpenVinoRuntimeFinder.Locate(files, k => env is not null && env.TryGetValue(k, out var v) ? v : null, Base, Home);

    [Fact]
    public void Nothing_installed_gives_one_line_naming_every_place_and_how_to_install()
    {
        var loc = Locate(new FakeFiles());

        Assert.Null(loc.ShimPath);
        Assert.Null(loc.OpenVinoLibrary);
        var reason = loc.NotFoundReason();
        Assert.DoesNotContain('\n', reason);
        Assert.StartsWith("OpenVINO runtime not found (looked for libovs_openvino_shim.so in /app/bin", reason);
        Assert.Contains("libopenvino.so in /home/u/.local/lib/python3*/site-packages/openvino/libs, /usr/local/lib/python3*/dist-packages/openvino/libs, /usr/lib/python3/dist-packages/openvino/libs, /opt/intel/openvino*/runtime/lib/intel64, /usr/lib/x86_64-linux-gnu, /home/u/.nuget/packages/openvino.runtime.*/*/runtimes/*/native, /app/bin)", reason);
        Assert.EndsWith("install OpenVINO 2026 (pip install openvino==2026.4.1, the archive, or Intel's apt packages; see docs/openvino.md) and rebuild: dotnet build builds the shim against it (or run native/build.sh)", reason);
    }

    [Fact]
    public void Environment_variables_come_first_and_are_listed()
    {
        var env = new Dictionary<string, string>
        {
            ["INTEL_OPENVINO_DIR"] = "/opt/ov",
            ["OpenVINO_DIR"] = "/srv/ov/runtime/cmake",
            ["LD_LIBRARY_PATH"] = "/x/lib: /y/lib",
        };
        var loc = Locate(new FakeFiles("/y/lib/libopenvino.so", "/usr/lib/x86_64-linux-gnu/libopenvino.so.2025.2.0"), env);

        Assert.Equal("/y/lib/libopenvino.so", loc.OpenVinoLibrary);
        Assert.Equal(["/opt/ov/runtime/lib/intel64", "/srv/ov/runtime/libs", "/srv/ov/runtime/lib/intel64", "/x/lib", "/y/lib"], loc.RuntimeSearched.Take(5));
        Assert.Equal(["/app/bin", "/opt/ov/runtime/lib/intel64", "/x/lib", "/y/lib"], loc.ShimSearched);
    }

    [Fact]
    public void The_wheel_layout_is_found_from_OVS_OPENVINO_DIR_OpenVINO_DIR_or_a_pip_install()
    {
        // pip install openvino / ../shared/openvino: cmake/, include/, libs/libopenvino.so.2641 (no unversioned name).
        var wheel = new FakeFiles("/w/openvino/libs/libopenvino.so.2641", "/w/openvino/libs/libopenvino_c.so.2641");
        Assert.Equal("/w/openvino/libs/libopenvino.so.2641", Locate(wheel, new() { ["OVS_OPENVINO_DIR"] = "/w/openvino" }).OpenVinoLibrary);
        Assert.Equal("/w/openvino/libs/libopenvino.so.2641", Locate(wheel, new() { ["OVS_OPENVINO_DIR"] = "/w/openvino/cmake" }).OpenVinoLibrary);
        Assert.Equal("/w/openvino/libs/libopenvino.so.2641", Locate(wheel, new() { ["OpenVINO_DIR"] = "/w/openvino/cmake/" }).OpenVinoLibrary);
        Assert.Equal("/w/openvino/libs/libopenvino.so.2641", Locate(wheel, new() { ["PYTHONPATH"] = "/elsewhere:/w" }).OpenVinoLibrary);

        var venv = new FakeFiles("/venv/lib/python3.12/site-packages/openvino/libs/libopenvino.so.2641");
        Assert.Equal("/venv/lib/python3.12/site-packages/openvino/libs/libopenvino.so.2641", Locate(venv, new() { ["VIRTUAL_ENV"] = "/venv" }).OpenVinoLibrary);
        var user = new FakeFiles("/home/u/.local/lib/python3.11/site-packages/openvino/libs/libopenvino.so.2641");
        Assert.Equal("/home/u/.local/lib/python3.11/site-packages/openvino/libs/libopenvino.so.2641", Locate(user).OpenVinoLibrary);
        var system = new FakeFiles("/usr/local/lib/python3.11/dist-packages/openvino/libs/libopenvino.so.2641");
        Assert.Equal("/usr/local/lib/python3.11/dist-packages/openvino/libs/libopenvino.so.2641", Locate(system).OpenVinoLibrary);
    }

    [Fact]
    public void Explicit_shim_path_wins_over_one_beside_the_assembly()
    {
        var env = new Dictionary<string, string> { ["OVS_OPENVINO_SHIM"] = "/build/libovs_openvino_shim.so" };
        var loc = Locate(new FakeFiles("/build/libovs_openvino_shim.so", "/app/bin/libovs_openvino_shim.so"), env);
        Assert.Equal("/build/libovs_openvino_shim.so", loc.ShimPath);
    }

    [Fact]
    public void Shim_beside_the_assembly_then_in_the_checkouts_native_build()
    {
        Assert.Equal("/app/bin/libovs_openvino_shim.so", Locate(new FakeFiles("/app/bin/libovs_openvino_shim.so")).ShimPath);

        var files = new FakeFiles("/repo/OvStateful.sln", "/repo/native/build/libovs_openvino_shim.so");
        var loc = OpenVinoRuntimeFinder.Locate(files, _ => null, "/repo/tests/X/bin/Debug/net10.0", Home);
        Assert.Equal("/repo/native/build/libovs_openvino_shim.so", loc.ShimPath);
    }

    [Fact]
    public void Apt_installs_only_versioned_names_and_the_archive_prefers_the_newest_folder()
    {
        var apt = Locate(new FakeFiles("/usr/lib/x86_64-linux-gnu/libopenvino.so.2025.2.0", "/usr/lib/x86_64-linux-gnu/libopenvino.so.2520"));
        Assert.Equal("/usr/lib/x86_64-linux-gnu/libopenvino.so.2520", apt.OpenVinoLibrary);

        var archive = Locate(new FakeFiles(
            "/opt/intel/openvino_2024.6/runtime/lib/intel64/libopenvino.so",
            "/opt/intel/openvino_2025.3/runtime/lib/intel64/libopenvino.so"));
        Assert.Equal("/opt/intel/openvino_2025.3/runtime/lib/intel64/libopenvino.so", archive.OpenVinoLibrary);
    }

    [Fact]
    public void NuGet_runtime_package_is_found()
    {
        var loc = Locate(new FakeFiles("/home/u/.nuget/packages/openvino.runtime.ubuntu.22-x86_64/2025.2.0/runtimes/ubuntu.22.04-x64/native/libopenvino.so"));
        Assert.Equal("/home/u/.nuget/packages/openvino.runtime.ubuntu.22-x86_64/2025.2.0/runtimes/ubuntu.22.04-x64/native/libopenvino.so", loc.OpenVinoLibrary);
    }

    [Fact]
    public void On_this_machine_the_provider_reports_unavailable_with_the_finders_reason_or_available()
    {
        var a = new OpenVinoEngineProvider().Availability;
        if (a.IsAvailable) Assert.StartsWith("OpenVINO ", a.Reason);
        else Assert.Matches("^OpenVINO (runtime not found|shim)", a.Reason);
        Assert.DoesNotContain('\n', a.Reason);
    }
}
