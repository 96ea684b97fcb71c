using Microsoft.Extensions.Logging;
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
    // 1 once the server began shutting down: no more loads.
    private int _stopping;

    /// <param name="Scratch">The temporary folder holding the files a load request sent (deleted when the entry is replaced or unloaded), or null.</param>
    /// <param name="Fingerprint">What the model's folder looked like when loaded (poll mode reloads when it changes).</param>
    /// <param name="VersionNames">The versions an unloaded model had (Triton keeps listing them as UNAVAILABLE); empty otherwise.</param>
    private sealed record Entry(string Name, string State, string Reason, IReadOnlyList<ILoadedModel> Versions, string? Scratch = null, string Fingerprint = "", IReadOnlyList<string>? VersionNames = null);

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
        // Ensembles last: their composing models are then loaded (stable order otherwise).
        foreach (var model in ModelRepository.Open(_repository).OrderBy(m => Ensembles.EnsembleConfig.IsEnsemble(m.Config)))
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
    /// <remarks>
    /// The name is one folder of the repository (<see cref="ModelRepository.CheckModelName"/>);
    /// errors a client receives name the model and what is wrong, with paths relative to the
    /// repository; the log gets the full text. With durable state on, a reload whose new
    /// configuration is valid stops the serving versions first (their live sequences are
    /// flushed to their state folders, which one server holds at a time, and the new load
    /// restores them), so the model does not serve during its reload.
    /// </remarks>
    public Task LoadAsync(string name, CancellationToken cancellationToken) => LoadAsync(name, ModelLoadParameters.None, cancellationToken);

    /// <summary>
    /// Durable state: the versions being replaced release their state folders (flushed, kept)
    /// before the new ones open them. Their live sequences continue once the model is loaded
    /// again; if that load fails, their states stay in the folders for the next load.
    /// </summary>
    private async Task StopForReloadAsync(string name)
    {
        Entry? old;
        lock (_lock)
        {
            if (!_entries.TryGetValue(name, out old) || old.Versions.Count == 0) return;
            _entries[name] = new Entry(name, "LOADING", "reloading: its live sequences continue once it is loaded again", [], VersionNames: old.Versions.Select(v => v.Version).ToList());
        }
        await ReleaseAsync(old).ConfigureAwait(false);
    }

    /// <summary>
    /// A reason as a client may read it: paths inside the repository made relative to it, any
    /// other absolute path cut to its last segment (the server's files are its own business).
    /// </summary>
    private string ForClients(string reason)
    {
        if (reason.Length == 0) return reason;
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(_repository)) + Path.DirectorySeparatorChar;
        var text = reason.Replace(root, "", StringComparison.Ordinal);
        return AbsolutePath().Replace(text, m => "…/" + m.Groups["last"].Value);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"(?<![\w.~])/(?:[^\s""'/:;,()\[\]]+/)+(?<last>[^\s""'/:;,()\[\]]*)")]
    private static partial System.Text.RegularExpressions.Regex AbsolutePath();

    public async Task StopServingAsync(string reason)
    {
        Interlocked.Exchange(ref _stopping, 1);
        List<ServedModel> all;
        lock (_lock) all = _entries.Values.SelectMany(e => e.Versions).OfType<ServedModel>().ToList();
        await Task.WhenAll(all.Select(m => m.Batcher.StopAsync(reason))).ConfigureAwait(false);
    }

    /// <summary>Checks a model before anything of it loads: the engine it goes to, or why it cannot be served.</summary>
    private (ModelValidationResult Result, string? Failure) CheckVersions(ModelDefinition definition)
    {
        // An ensemble is checked against its composing models when it loads (LoadEnsemble).
        if (Ensembles.EnsembleConfig.IsEnsemble(definition.Config)) return (null!, null);
        var result = ModelValidator.Validate(definition, _providers, AutoCompleteConfigs);
        if (result.Status == ModelValidationStatus.Invalid)
            return (result, string.Join("; ", result.Problems.Select(p => p.ToString())));
        if (result.Status == ModelValidationStatus.EngineUnavailable)
            return (result, result.EngineNote ?? $"engine {result.Engine} is not available");
        return (result, null);
    }

    /// <summary>Loads every selected version of a model <see cref="CheckVersions"/> passed.</summary>
    private (string State, string Reason, IReadOnlyList<ILoadedModel> Loaded) LoadVersions(ModelDefinition definition, ModelValidationResult result)
    {
        if (Ensembles.EnsembleConfig.IsEnsemble(definition.Config)) return LoadEnsemble(definition);
        var provider = _providers.First(p => p.Name == result.Engine);
        var loaded = new List<ILoadedModel>();
        try
        {
            foreach (var v in definition.Versions)
            {
                var version = v.Version.ToString(System.Globalization.CultureInfo.InvariantCulture);
                loaded.Add(ServedModel.Load(provider, definition.Config!, version, v.Directory, v.ModelFile, _options, _device));
            }
            return ("READY", "", loaded);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Whatever one model's load throws (a size that overflows, an engine's error) is that
            // model's failure: it is UNAVAILABLE with the reason and the others serve.
            foreach (var m in loaded) m.DisposeAsync().AsTask().GetAwaiter().GetResult();
            var what = e is EngineException or IOException or ArgumentException or InvalidDataException ? e.Message : $"{e.GetType().Name}: {e.Message}";
            return ("UNAVAILABLE", what, []);
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
