using OvStateful.Core.Serving;

namespace OvStateful.Server.Tests.TestDoubles;

/// <summary>An in-memory registry of test-double models; load/unload flip a model's state.</summary>
internal sealed class TestModelRegistry : IModelRegistry
{
    private readonly Lock _lock = new();
    /// <summary>name → (model, loaded); guarded by <see cref="_lock"/>.</summary>
    private readonly Dictionary<string, (IServedModel Model, bool Loaded)> _models = new(StringComparer.Ordinal);

    public TestModelRegistry(params IServedModel[] models)
    {
        foreach (var m in models) _models[m.Name] = (m, true);
    }

    public IReadOnlyList<ModelIndexEntry> Index()
    {
        lock (_lock)
        {
            return _models.Values
                .Select(e => new ModelIndexEntry(e.Model.Name, e.Model.Version, e.Loaded ? "READY" : "UNAVAILABLE", e.Loaded ? "" : "unloaded"))
                .OrderBy(e => e.Name, StringComparer.Ordinal)
                .ToList();
        }
    }

    public bool TryGet(string name, string? version, out IServedModel? model)
    {
        lock (_lock)
        {
            model = _models.TryGetValue(name, out var e) && e.Loaded && (string.IsNullOrEmpty(version) || version == e.Model.Version) ? e.Model : null;
            return model is not null;
        }
    }

    public Task LoadAsync(string name, CancellationToken cancellationToken) => SetLoaded(name, true);

    public Task UnloadAsync(string name, CancellationToken cancellationToken) => SetLoaded(name, false);

    private Task SetLoaded(string name, bool loaded)
    {
        lock (_lock)
        {
            if (!_models.TryGetValue(name, out var e))
                throw new InferenceException(InferenceErrorKind.NotFound, $"no model '{name}' in the repository");
            _models[name] = (e.Model, loaded);
        }
        return Task.CompletedTask;
    }

    /// <summary>Triton's strict readiness: every loaded model is ready (models unloaded on request do not count).</summary>
    public bool IsReady
    {
        get { lock (_lock) return _models.Values.Where(e => e.Loaded).All(e => e.Model.IsReady); }
    }
}
