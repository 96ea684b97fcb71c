using OvStateful.Core.Serving;

namespace OvStateful.Server.Protocol;

/// <summary>Finds the served model a request names, or fails with NOT_FOUND / UNAVAILABLE naming what exists.</summary>
internal sealed class ModelResolver(IModelRegistry registry)
{
    public IModelRegistry Registry { get; } = registry;

    /// <summary>
    /// The served model a request names. Errors carry Triton's phrases first (clients match
    /// "Request for unknown model", "failed to get model version from specified version
    /// string"), then what exists.
    /// </summary>
    public IServedModel Resolve(string? name, string? version)
    {
        if (string.IsNullOrEmpty(name)) throw ServerErrors.Invalid("model name is empty; expected the name of a model in the repository");
        CheckVersion(name, version);
        if (Registry.TryGet(name, string.IsNullOrEmpty(version) ? null : version, out var model) && model is not null)
        {
            if (!model.IsReady)
                throw new InferenceException(InferenceErrorKind.Unavailable, $"Request for unknown model: '{name}' version {model.Version} is not at ready state");
            return model;
        }

        var index = Registry.Index();
        var versions = index.Where(e => string.Equals(e.Name, name, StringComparison.Ordinal)).ToList();
        if (versions.Count == 0)
        {
            var names = string.Join(", ", index.Select(e => e.Name).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
            throw ServerErrors.NotFound($"Request for unknown model: '{name}' is not found; the repository holds: {(names.Length == 0 ? "(none)" : names)}");
        }
        var ready = versions.Where(e => e.State == "READY").Select(e => e.Version).ToList();
        if (string.IsNullOrEmpty(version))
        {
            var states = string.Join(", ", versions.Select(e => (e.Version.Length == 0 ? "" : $"version {e.Version} ") + (e.State.Length == 0 ? "not loaded" : e.State) + (e.Reason.Length > 0 ? $": {e.Reason}" : "")));
            var unloaded = versions.Any(e => e.Reason == "unloaded") ? "; its live sequences ended when it was unloaded: load it again and start them anew with sequence_start" : "";
            throw ServerErrors.NotFound($"Request for unknown model: '{name}' has no available versions ({states}){unloaded}");
        }
        throw ServerErrors.NotFound($"Request for unknown model: '{name}' version {version} is not found; ready versions: {(ready.Count == 0 ? "(none)" : string.Join(", ", ready))}");
    }

    /// <summary>A requested version is a whole number &gt; 0 (or empty: the newest ready one), as Triton reads it.</summary>
    private static void CheckVersion(string name, string? version)
    {
        if (string.IsNullOrEmpty(version)) return;
        if (!long.TryParse(version, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var v))
            throw ServerErrors.Invalid($"failed to get model version from specified version string '{version}' for model '{name}': version should be an integral value > 0");
        if (v < 0)
            throw ServerErrors.Invalid($"invalid model version specified '{version}' for model '{name}': version should be an integral value > 0");
    }

    /// <summary>Ready check for the health endpoints: false for unknown models as well as unready ones.</summary>
    public bool IsReady(string name, string? version) =>
        Registry.TryGet(name, string.IsNullOrEmpty(version) ? null : version, out var model) && model is not null && model.IsReady;

    /// <summary>Every ready model version, for statistics and metrics.</summary>
    public IEnumerable<IServedModel> ReadyModels()
    {
        foreach (var entry in Registry.Index())
        {
            if (entry.State != "READY") continue;
            if (Registry.TryGet(entry.Name, entry.Version, out var model) && model is not null) yield return model;
        }
    }
}
