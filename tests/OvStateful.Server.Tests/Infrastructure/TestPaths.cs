namespace OvStateful.Server.Tests.Infrastructure;

/// <summary>Folders the tests read: the checkout (beside OvStateful.sln) and ../shared.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();

    public static string Conformance => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "conformance", "triton-stateful"));

    /// <summary>Copies the folder <paramref name="from"/> with everything below it to <paramref name="to"/> (created).</summary>
    public static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        foreach (var d in Directory.GetDirectories(from)) CopyFolder(d, Path.Combine(to, Path.GetFileName(d)));
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OvStateful.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"no OvStateful.sln above {AppContext.BaseDirectory}");
    }
}
