using System.CommandLine;
using OvStateful.Core.Engines;
using OvStateful.Core.Repository;

namespace OvStateful.Cli.Commands;

/// <summary>
/// <c>ovs validate &lt;repository&gt;</c>: one line per model, <c>OK &lt;name&gt; &lt;versions&gt; &lt;engine&gt;</c> or
/// <c>ERROR &lt;name&gt;</c> followed by each problem on an indented line. Exit code 1 when any model is invalid.
/// </summary>
internal static class ValidateCommand
{
    public static Command Create() => Create(() => EngineProviders.Create());

    /// <summary>For tests and hosts: <paramref name="providers"/> is asked for the engines when the command runs.</summary>
    public static Command Create(Func<IReadOnlyList<IEngineProvider>> providers)
    {
        var repo = new Argument<DirectoryInfo>("repository") { Description = "Model repository folder" };
        var cmd = new Command("validate", "Check every model of a repository: config.pbtxt, versions, model files.") { repo };
        cmd.SetAction(parse => Run(parse.GetValue(repo)!, providers(), Console.Out));
        return cmd;
    }

    public static int Run(DirectoryInfo repository, IReadOnlyList<IEngineProvider> providers, TextWriter output)
    {
        IReadOnlyList<ModelDefinition> models;
        try
        {
            models = ModelRepository.Open(repository.FullName);
        }
        catch (Exception ex) when (ex is DirectoryNotFoundException or IOException or UnauthorizedAccessException)
        {
            output.WriteLine($"ERROR {repository.FullName}");
            output.WriteLine($"  {ex.Message}");
            return 1;
        }
        if (models.Count == 0)
        {
            output.WriteLine($"ERROR {repository.FullName}");
            output.WriteLine("  the repository holds no model folder; expected <repository>/<model>/config.pbtxt");
            return 1;
        }

        var failed = 0;
        foreach (var model in models)
        {
            var result = ModelValidator.Validate(model, providers);
            if (result.Status == ModelValidationStatus.Invalid)
            {
                failed++;
                output.WriteLine($"ERROR {model.Name}");
                foreach (var p in result.Problems) output.WriteLine($"  {model.Where(p)}: {p.Message}");
                continue;
            }
            var versions = string.Join(",", model.Versions.Select(v => v.Version));
            var line = $"OK {model.Name} {versions} {result.Engine}";
            if (result.EngineNote is { } note) line += $" (config only: {note})";
            output.WriteLine(line);
        }
        return failed == 0 ? 0 : 1;
    }
}
