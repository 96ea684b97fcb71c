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
public sealed class ModelRegistry : IModelRegistry, IAsyncDisposable
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

    private sealed record Entry(string Name, string State, string Reason, IReadOnlyList<ServedModel> Versions);

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

    public bool IsReady
    {
        get
        {
            lock (_lock) return Volatile.Read(ref _loading) == 0 && _entries.Values.All(e => e.State != "LOADING");
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
                if (e.Versions.Count == 0) list.Add(new ModelIndexEntry(e.Name, "", e.State, e.Reason));
                foreach (var v in e.Versions) list.Add(new ModelIndexEntry(e.Name, v.Version, e.State, e.Reason));
            }
        }
        // Models on disk that were never loaded (Triton lists them without a state).
        if (Directory.Exists(_repository))
        {
            foreach (var dir in Directory.GetDirectories(_repository).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(dir);
                if (!known.Contains(name) && File.Exists(Path.Combine(dir, ModelRepository.ConfigFileName)))
                    list.Add(new ModelIndexEntry(name, "", "UNAVAILABLE", "not loaded"));
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
    /// (Re)loads one model from disk; the old versions keep serving until the new ones are ready.
    /// A model that cannot be served is recorded UNAVAILABLE with its reason, and the call fails with it.
    /// </summary>
    public async Task LoadAsync(string name, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _loading);
        try
        {
            var directory = Path.Combine(_repository, name);
            if (!File.Exists(Path.Combine(directory, ModelRepository.ConfigFileName)))
                throw new InferenceException(InferenceErrorKind.NotFound, $"model \"{name}\" is not in repository {_repository} (no {ModelRepository.ConfigFileName} in {directory})");
            var definition = ModelRepository.LoadModel(directory, _defaultEngine);
            var (state, reason, loaded) = await Task.Run(() => LoadVersions(definition), cancellationToken).ConfigureAwait(false);
            IReadOnlyList<ServedModel> old;
            lock (_lock)
            {
                old = _entries.TryGetValue(name, out var previous) ? previous.Versions : [];
                _entries[name] = new Entry(name, state, reason, loaded);
            }
            foreach (var m in old) await m.DisposeAsync().ConfigureAwait(false);
            if (state != "READY")
                throw new InferenceException(InferenceErrorKind.Unavailable, $"failed to load model \"{name}\": {reason}");
        }
        finally
        {
            Interlocked.Decrement(ref _loading);
        }
    }

    public async Task UnloadAsync(string name, CancellationToken cancellationToken)
    {
        IReadOnlyList<ServedModel> old;
        lock (_lock)
        {
            if (!_entries.TryGetValue(name, out var e)) throw new InferenceException(InferenceErrorKind.NotFound, $"model \"{name}\" is not loaded");
            old = e.Versions;
            _entries[name] = new Entry(name, "UNAVAILABLE", "unloaded", []);
        }
        foreach (var m in old) await m.DisposeAsync().ConfigureAwait(false);
    }

    private (string State, string Reason, IReadOnlyList<ServedModel> Loaded) LoadVersions(ModelDefinition definition)
    {
        var result = ModelValidator.Validate(definition, _providers);
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
        List<ServedModel> all;
        lock (_lock)
        {
            all = _entries.Values.SelectMany(e => e.Versions).ToList();
            _entries.Clear();
        }
        foreach (var m in all) await m.DisposeAsync().ConfigureAwait(false);
    }
}
