using OvStateful.Core.Serving;

namespace OvStateful.Server.Protocol;

/// <summary>Finds the served model a request names, or fails with NOT_FOUND / UNAVAILABLE naming what exists.</summary>
internal sealed class ModelResolver(IModelRegistry registry)
{
    public IModelRegistry Registry { get; } = registry;

    public IServedModel Resolve(string? name, string? version)
    {
        if (string.IsNullOrEmpty(name)) throw ServerErrors.Invalid("model name is empty; expected the name of a model in the repository");
        if (Registry.TryGet(name, string.IsNullOrEmpty(version) ? null : version, out var model) && model is not null)
        {
            if (!model.IsReady)
                throw new InferenceException(InferenceErrorKind.Unavailable, $"model '{name}' version {model.Version} is not ready");
            return model;
        }

        var index = Registry.Index();
        var versions = index.Where(e => string.Equals(e.Name, name, StringComparison.Ordinal)).ToList();
        if (versions.Count == 0)
        {
            var names = string.Join(", ", index.Select(e => e.Name).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
            throw ServerErrors.NotFound($"unknown model '{name}'; the repository holds: {(names.Length == 0 ? "(none)" : names)}");
        }
        var ready = versions.Where(e => e.State == "READY").Select(e => e.Version).ToList();
        if (string.IsNullOrEmpty(version))
            throw new InferenceException(InferenceErrorKind.Unavailable, $"model '{name}' has no ready version ({string.Join(", ", versions.Select(e => $"{e.Version}: {e.State}"))})");
        throw ServerErrors.NotFound($"model '{name}' has no ready version '{version}'; ready versions: {(ready.Count == 0 ? "(none)" : string.Join(", ", ready))}");
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
