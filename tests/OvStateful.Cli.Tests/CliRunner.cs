namespace OvStateful.Cli.Tests;

/// <summary>Runs `ovs` through the real command tree with stdout and stderr captured.</summary>
internal static class CliRunner
{
    public static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var (savedOut, savedErr) = (Console.Out, Console.Error);
        var output = new StringWriter();
        var error = new StringWriter();
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            var exit = Program.Run(args);
            return (exit, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(savedOut);
            Console.SetError(savedErr);
        }
    }

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "OvStateful.sln"))) dir = dir.Parent;
            Assert.NotNull(dir);
            return dir.FullName;
        }
    }

    public static string Models => Path.Combine(RepoRoot, "models");

    public static string TempFolder()
    {
        var dir = Path.Combine(Path.GetTempPath(), "ovs-cli-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// A repository as Triton users have them: accumulate, a copy whose max_candidate_sequences is
    /// below max_batch_size (Triton accepts it: a warning), and a model that cannot load.
    /// </summary>
    public static string RepositoryWithABrokenModel()
    {
        var repo = TempFolder();
        foreach (var (name, config) in new[] { ("accumulate", (string?)null), ("few_slots", "max_candidate_sequences: 2\n") })
        {
            foreach (var file in Directory.GetFiles(Path.Combine(Models, "accumulate"), "*", SearchOption.AllDirectories))
            {
                var target = Path.Combine(repo, name, Path.GetRelativePath(Path.Combine(Models, "accumulate"), file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
            if (config is null) continue;
            var pbtxt = Path.Combine(repo, name, "config.pbtxt");
            File.WriteAllText(pbtxt, File.ReadAllText(pbtxt).Replace("name: \"accumulate\"", $"name: \"{name}\"", StringComparison.Ordinal)
                .Replace("max_candidate_sequences: 256\n", config, StringComparison.Ordinal));
        }
        Directory.CreateDirectory(Path.Combine(repo, "broken", "1"));
        File.WriteAllText(Path.Combine(repo, "broken", "config.pbtxt"), "max_batch_size: -1\n");
        return repo;
    }
}
