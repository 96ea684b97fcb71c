namespace OvStateful.Bench;

internal static class RepoPaths
{
    /// <summary>The folder holding OvStateful.sln, found from the current directory or the binaries.</summary>
    public static string Root { get; } = Find(Directory.GetCurrentDirectory()) ?? Find(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("run the benchmarks from inside the repository");

    private static string? Find(string start)
    {
        for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "OvStateful.sln"))) return d.FullName;
        return null;
    }
}
