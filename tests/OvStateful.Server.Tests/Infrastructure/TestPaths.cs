namespace OvStateful.Server.Tests.Infrastructure;

/// <summary>Folders the tests read: the checkout (beside OvStateful.sln) and ../shared.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();

    public static string Conformance => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "conformance", "triton-stateful"));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OvStateful.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"no OvStateful.sln above {AppContext.BaseDirectory}");
    }
}
