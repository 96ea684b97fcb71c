using System.CommandLine;
using OvStateful.Core.Config;
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
        var strict = new Option<bool?>("--strict-model-config") { Description = "As ovs serve's: true = every config must declare its inputs and outputs; false (default) = a config without them gets them from the model file", Arity = ArgumentArity.ZeroOrOne };
        var cmd = new Command("validate", "Check every model of a repository as ovs serve loads it: config.pbtxt, versions, model files, the engine's plan.") { repo, strict };
        cmd.SetAction(parse =>
        {
            return Run(parse.GetValue(repo)!, providers(), Console.Out, autoComplete: CommonOptions.Flag(parse, strict) != true);
        });
        return cmd;
    }

    /// <param name="autoComplete">Triton's auto-complete of configs without inputs and outputs (off with --strict-model-config), as ovs serve does.</param>
    public static int Run(DirectoryInfo repository, IReadOnlyList<IEngineProvider> providers, TextWriter output, bool autoComplete = true)
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
            var result = ModelValidator.Validate(model, providers, autoComplete);
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
            if (model.Config is { } config)
            {
                foreach (var w in ConfigValidator.Warnings(config)) output.WriteLine($"  warning: {model.Where(w)}: {w.Message}");
            }
        }
        return failed == 0 ? 0 : 1;
    }
}
