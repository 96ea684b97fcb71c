using OvStateful.Core.Config;

namespace OvStateful.Core.Repository;

/// <summary>One version folder of a model and the model file it serves.</summary>
/// <param name="Version">The folder's number (≥ 1).</param>
/// <param name="Directory">Full path of the version folder.</param>
/// <param name="ModelFile">Full path of the model file (it may be missing; then the model has a problem saying so).</param>
public sealed record ModelVersion(long Version, string Directory, string ModelFile);

/// <summary>
/// A model folder of a repository as read from disk. <see cref="Config"/> and <see cref="Parameters"/>
/// are null when config.pbtxt is missing or unreadable. <see cref="Problems"/> lists everything
/// wrong with the folder and its config; a model is usable only when it is empty.
/// </summary>
public sealed class ModelDefinition
{
    public required string Name { get; init; }
    public required string Directory { get; init; }
    public required string ConfigFile { get; init; }
    public ModelConfig? Config { get; init; }

    /// <summary>Where each field of <see cref="Config"/> was written; null when Config is, or when it came from a load request rather than a file.</summary>
    public ParsedConfig? Source { get; init; }
    public StatefulParameters? Parameters { get; init; }

    /// <summary>The versions the version policy selects, in increasing order.</summary>
    public IReadOnlyList<ModelVersion> Versions { get; init; } = [];

    public IReadOnlyList<ValidationProblem> Problems { get; init; } = [];

    public bool IsValid => Config is not null && Problems.Count == 0;

    /// <summary>
    /// Where a problem is: "file:line:column: path" for a problem about a config field (the
    /// position of the field, or of the nearest enclosing one that was written); the problem's
    /// own location otherwise (syntax errors already carry file:line:column, folder problems a path).
    /// </summary>
    public string Where(ValidationProblem problem)
    {
        var location = problem.Location;
        if (Source is null || location.Length == 0 || Path.IsPathRooted(location) || location.Contains(':', StringComparison.Ordinal)) return location;
        return $"{Source.Locate(location)}: {location}";
    }
}
