namespace OvStateful.Core.Tests;

/// <summary>Locates shared test data: walks up from the test binaries to the folder holding OvStateful.sln, then ../shared.</summary>
internal static class TestPaths
{
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OvStateful.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException($"no OvStateful.sln above {AppContext.BaseDirectory}");
        }
    }

    public static string TritonStateful => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "conformance", "triton-stateful"));

    public static string ConformanceConfig(string model) => Path.Combine(TritonStateful, model, "config.pbtxt");
}

/// <summary>A temporary folder removed when disposed.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "ovs-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>Writes a file (creating its folders) under the temp folder and returns its full path.</summary>
    public string Write(string relative, string content)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    /// <summary>
    /// What a kill -9 would leave: a copy of every file as the page cache holds it now (the
    /// running owner keeps its lock on the original; the copy's lock files are not held).
    /// </summary>
    public TempDir CrashImage()
    {
        var image = new TempDir();
        foreach (var file in Directory.GetFiles(Path, "*", SearchOption.AllDirectories))
        {
            if (System.IO.Path.GetFileName(file) == "lock") continue; // held exclusively by the owner; the image's is created anew
            var target = System.IO.Path.Combine(image.Path, System.IO.Path.GetRelativePath(Path, file));
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        return image;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
