namespace OvStateful.Cli.Commands;

/// <summary>Where the example model repository is when ./models is not: beside the binaries (the .NET tool, a published folder), else beside OvStateful.sln above them (a checkout).</summary>
internal static class ExampleModels
{
    public static string? Find()
    {
        var beside = Path.Combine(AppContext.BaseDirectory, "models");
        if (Directory.Exists(beside)) return beside;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "OvStateful.sln")) && Directory.Exists(Path.Combine(dir.FullName, "models")))
                return Path.Combine(dir.FullName, "models");
        }
        return null;
    }

    /// <summary>./models when it exists, else the example repository, else ./models (whose absence the command then reports).</summary>
    public static DirectoryInfo Default() =>
        new(Directory.Exists("models") ? "models" : Find() ?? "models");
}
