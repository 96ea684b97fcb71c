using OvStateful.Core.Config;
using OvStateful.Core.Engines;

namespace OvStateful.Core.Repository;

public enum ModelValidationStatus
{
    /// <summary>Config valid and checked against the model file.</summary>
    Ok,
    /// <summary>Config valid, but the engine is not available here, so the model file was not inspected.</summary>
    EngineUnavailable,
    Invalid,
}

/// <summary>The outcome of checking one model: its problems, the engine it needs and, when the engine is missing, why.</summary>
public sealed record ModelValidationResult(
    ModelDefinition Model,
    ModelValidationStatus Status,
    IReadOnlyList<ValidationProblem> Problems,
    string Engine,
    string? EngineNote);

/// <summary>Checks a repository model completely: its folder and config, then each version's model file through its engine.</summary>
public static class ModelValidator
{
    /// <param name="autoComplete">
    /// Triton's auto-complete (--strict-model-config false, its default): a config without inputs
    /// and outputs gets them from the first version's model file, in place, before it is checked.
    /// </param>
    public static ModelValidationResult Validate(ModelDefinition model, IReadOnlyList<IEngineProvider> providers, bool autoComplete = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(providers);
        var problems = new List<ValidationProblem>(model.Problems);
        var engine = model.Parameters?.EngineName ?? "onnxruntime";
        if (model.Config is not { } config || model.Parameters is not { } parameters)
        {
            return new ModelValidationResult(model, ModelValidationStatus.Invalid, problems, engine, null);
        }

        var provider = providers.FirstOrDefault(p => string.Equals(p.Name, engine, StringComparison.Ordinal));
        string? note = null;
        if (provider is null)
        {
            note = $"no \"{engine}\" engine is built into this program; the model file was not inspected";
        }
        else
        {
            EngineAvailability availability;
            try
            {
                availability = provider.Availability;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                availability = EngineAvailability.Unavailable(OneLine($"{ex.GetType().Name}: {ex.Message}"));
            }
            if (!availability.IsAvailable)
            {
                note = $"{engine} is not available here ({availability.Reason}); the model file was not inspected";
            }
            else
            {
                foreach (var v in model.Versions.Where(v => File.Exists(v.ModelFile)))
                {
                    try
                    {
                        var signature = provider.Inspect(v.ModelFile);
                        if (autoComplete) ConfigAutoComplete.Complete(config, parameters, signature);
                        var fileProblems = ConfigValidator.CheckAgainstModelFile(config, parameters, signature);
                        foreach (var p in fileProblems)
                        {
                            if (!problems.Contains(p)) problems.Add(p);
                        }
                        // What the engines' plan refuses beyond that (so validate passes exactly what serve loads).
                        if (fileProblems.Count == 0) AddPlanProblems(config, signature, v, provider, problems);
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                        // An unreadable model file is this model's problem, not a reason to stop checking the others.
                        var what = OneLine(ex is EngineException ? ex.Message : $"{ex.GetType().Name}: {ex.Message}");
                        problems.Add(new ValidationProblem(v.ModelFile, $"cannot be read by {engine}: {what}"));
                    }
                }
            }
        }

        var status = problems.Count > 0 ? ModelValidationStatus.Invalid
            : note is not null ? ModelValidationStatus.EngineUnavailable
            : ModelValidationStatus.Ok;
        return new ModelValidationResult(model, status, problems, engine, note);
    }

    private static void AddPlanProblems(ModelConfig config, ModelFileSignature signature, ModelVersion version, IEngineProvider provider, List<ValidationProblem> problems)
    {
        var plan = ModelPlan.TryBuild(config, signature, version.Directory, out var planProblems);
        foreach (var text in planProblems)
        {
            var p = new ValidationProblem(version.ModelFile, text);
            if (!problems.Contains(p)) problems.Add(p);
        }
        if (plan is not null && provider.Refuses(plan) is { } refusal)
        {
            var p = new ValidationProblem(version.ModelFile, refusal);
            if (!problems.Contains(p)) problems.Add(p);
        }
    }

    /// <summary>Native error texts may span lines; a problem is reported on one.</summary>
    private static string OneLine(string text) =>
        string.Join(" ", text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
