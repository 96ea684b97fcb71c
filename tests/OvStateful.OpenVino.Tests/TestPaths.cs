namespace OvStateful.OpenVino.Tests;

/// <summary>Locates the repository (the folder holding OvStateful.sln) and ../shared beside it.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();
    public static string Models => Path.Combine(RepoRoot, "models");
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
