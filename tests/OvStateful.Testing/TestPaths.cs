namespace OvStateful.Testing;

/// <summary>Locates the repository (the folder holding OvStateful.sln) and ../shared beside it.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRoot();
    public static string Models => Path.Combine(RepoRoot, "models");
    public static string Conformance => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "conformance", "triton-stateful"));
    /// <summary>Test-only models (gather_state.onnx), copied beside the test binaries.</summary>
    public static string TestModels => Path.Combine(AppContext.BaseDirectory, "Models");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OvStateful.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"no OvStateful.sln above {AppContext.BaseDirectory}");
    }
}
