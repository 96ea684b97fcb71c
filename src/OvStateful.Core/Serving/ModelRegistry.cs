using OvStateful.Core.Engines;
using OvStateful.Core.Repository;
using OvStateful.Core.Sequences;

namespace OvStateful.Core.Serving;

/// <summary>
/// The served side of a model repository: every valid model's selected versions loaded into
/// <see cref="ServedModel"/>s through the engine its config names, with Triton's repository
/// states (READY / UNAVAILABLE / LOADING / UNLOADING) and reasons. A model whose engine is
/// missing on this machine is UNAVAILABLE with that engine's reason; it never stops the rest.
/// </summary>
public sealed partial class ModelRegistry : IModelRegistry, IAsyncDisposable
{
    private readonly string _repository;
    private readonly IReadOnlyList<IEngineProvider> _providers;
    private readonly BatcherOptions _options;
    private readonly string? _device;
    private readonly string? _defaultEngine;
    private readonly object _lock = new();
    // Invariant: a name is in _entries once it was seen in the repository; its Versions are the loaded ones (empty unless READY).
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private int _loading;

    /// <param name="Scratch">The temporary folder holding the files a load request sent (deleted when the entry is replaced or unloaded), or null.</param>
    /// <param name="Fingerprint">What the model's folder looked like when loaded (poll mode reloads when it changes).</param>
    /// <param name="VersionNames">The versions an unloaded model had (Triton keeps listing them as UNAVAILABLE); empty otherwise.</param>
    private sealed record Entry(string Name, string State, string Reason, IReadOnlyList<ServedModel> Versions, string? Scratch = null, string Fingerprint = "", IReadOnlyList<string>? VersionNames = null);

    /// <param name="defaultEngine">Engine for configs that name none (their <c>engine</c> parameter); null = onnxruntime.</param>
    public ModelRegistry(string repository, IReadOnlyList<IEngineProvider> providers, BatcherOptions? options = null, string? device = null, string? defaultEngine = null)
    {
        _defaultEngine = defaultEngine;
        _repository = repository;
        _providers = providers;
        _options = options ?? BatcherOptions.Default;
        _device = device;
    }

    public string RepositoryPath => _repository;

    /// <summary>Loads every model of the repository (failures are recorded per model, never thrown).</summary>
    public async Task LoadAllAsync(CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(_repository)) throw new DirectoryNotFoundException($"model repository {_repository} does not exist");
        foreach (var model in ModelRepository.Open(_repository))
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await LoadAsync(model.Name, cancellationToken).ConfigureAwait(false);
            }
            catch (InferenceException)
            {
                // Recorded as UNAVAILABLE with its reason; the other models still load.
            }
        }
    }

    /// <summary>
    /// Triton's strict readiness: no load under way and every model this registry loaded or
    /// tried to load is READY, or was unloaded on request (Triton: "okay if model is not ready due
    /// to unload"); one that failed to load, or is loading or unloading, makes the server not
    /// ready; models never asked for do not count.
    /// </summary>
    public bool IsReady
    {
        get
        {
            lock (_lock) return Volatile.Read(ref _loading) == 0 && _entries.Values.All(e => e.State == "READY" || e is { State: "UNAVAILABLE", Reason: "unloaded" });
        }
    }

    public IReadOnlyList<ModelIndexEntry> Index()
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        var list = new List<ModelIndexEntry>();
        lock (_lock)
        {
            foreach (var e in _entries.Values.OrderBy(e => e.Name, StringComparer.Ordinal))
            {
                known.Add(e.Name);
                if (e.Versions.Count == 0 && e.VersionNames is { Count: > 0 } names)
                {
                    foreach (var v in names) list.Add(new ModelIndexEntry(e.Name, v, e.State, e.Reason));
                }
                else if (e.Versions.Count == 0) list.Add(new ModelIndexEntry(e.Name, "", e.State, e.Reason));
                foreach (var v in e.Versions) list.Add(new ModelIndexEntry(e.Name, v.Version, e.State, e.Reason));
            }
        }
        // Models on disk that were never loaded (Triton lists them without a state).
        if (Directory.Exists(_repository))
        {
            foreach (var dir in Directory.GetDirectories(_repository).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(dir);
                // Never loaded: listed by name alone, without a version or state, as Triton lists them.
                if (!known.Contains(name) && File.Exists(Path.Combine(dir, ModelRepository.ConfigFileName)))
                    list.Add(new ModelIndexEntry(name, "", "", ""));
            }
        }
        return list;
    }

    public bool TryGet(string name, string? version, out IServedModel? model)
    {
        lock (_lock)
        {
            model = null;
            if (!_entries.TryGetValue(name, out var e) || e.Versions.Count == 0) return false;
            // Loops, not MaxBy/FirstOrDefault: this runs on every request, and LINQ or a foreach over the IReadOnlyList would allocate each time.
            long newest = long.MinValue;
            for (var i = 0; i < e.Versions.Count; i++)
            {
                var v = e.Versions[i];
                if (string.IsNullOrEmpty(version))
                {
                    var number = long.Parse(v.Version, System.Globalization.CultureInfo.InvariantCulture);
                    if (number > newest) (newest, model) = (number, v);
                }
                else if (v.Version == version)
                {
                    model = v;
                    break;
                }
            }
            return model is not null;
        }
    }

    /// <summary>
    /// (Re)loads one model from its folder of the repository; the old versions keep serving until
    /// the new ones are ready (and stay when the new ones fail). A model that cannot be served is
    /// recorded UNAVAILABLE with its reason, and the call fails with it.
    /// </summary>
    public Task LoadAsync(string name, CancellationToken cancellationToken) => LoadAsync(name, ModelLoadParameters.None, cancellationToken);

    private (string State, string Reason, IReadOnlyList<ServedModel> Loaded) LoadVersions(ModelDefinition definition)
    {
        var result = ModelValidator.Validate(definition, _providers, AutoCompleteConfigs);
        if (result.Status == ModelValidationStatus.Invalid)
            return ("UNAVAILABLE", string.Join("; ", result.Problems.Select(p => p.ToString())), []);
        if (result.Status == ModelValidationStatus.EngineUnavailable)
            return ("UNAVAILABLE", result.EngineNote ?? $"engine {result.Engine} is not available", []);
        var provider = _providers.First(p => p.Name == result.Engine);
        var loaded = new List<ServedModel>();
        try
        {
            foreach (var v in definition.Versions)
            {
                var version = v.Version.ToString(System.Globalization.CultureInfo.InvariantCulture);
                loaded.Add(ServedModel.Load(provider, definition.Config!, version, v.Directory, v.ModelFile, _options, _device));
            }
            return ("READY", "", loaded);
        }
        catch (Exception e) when (e is EngineException or IOException or ArgumentException)
        {
            foreach (var m in loaded) m.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return ("UNAVAILABLE", e.Message, []);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopPollingAsync().ConfigureAwait(false);
        List<Entry> all;
        lock (_lock)
        {
            all = [.. _entries.Values];
            _entries.Clear();
        }
        foreach (var e in all) await ReleaseAsync(e).ConfigureAwait(false);
    }
}
