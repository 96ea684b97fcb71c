using System.Globalization;
using System.Text;
using Google.Protobuf;
using OvStateful.Core.Repository;

namespace OvStateful.Core.Serving;

// Triton's model control: loads with a request's override config and files, unloads that drain
// the model first, and poll mode (new or changed model folders load, removed ones unload).
public sealed partial class ModelRegistry
{
    /// <summary>
    /// Triton's auto-complete: a config without inputs and outputs gets them from its model file
    /// (--strict-model-config false, Triton's default). False = every config must declare them.
    /// </summary>
    public bool AutoCompleteConfigs { get; init; } = true;

    /// <summary>How long an unload waits for the model's queued steps to run; steps still queued after it fail.</summary>
    public TimeSpan UnloadDrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    // Poll mode: cancelled to stop the loop; both null when not polling.
    private CancellationTokenSource? _pollStop;
    private Task? _poll;

    /// <summary>
    /// (Re)loads one model, with Triton's load parameters: <see cref="ModelLoadParameters.ConfigJson"/>
    /// replaces config.pbtxt for this load and is checked like it (a bad one fails with
    /// InvalidArgument naming what is wrong, and the versions already loaded keep serving);
    /// <see cref="ModelLoadParameters.Files"/> stand in for the model's folder. Errors start with
    /// Triton's "failed to load '&lt;model&gt;'".
    /// </summary>
    public async Task LoadAsync(string name, ModelLoadParameters parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        CheckName(name, "load");
        var overrideConfig = parameters.ConfigJson is { } json ? ParseOverride(name, json) : null;
        string? scratch = null;
        if (parameters.Files.Count > 0)
        {
            if (overrideConfig is null)
            {
                throw Invalid($"failed to load '{name}': the file parameters ({string.Join(", ", parameters.Files.Keys.Select(k => ModelLoadParameters.FilePrefix + k))}) need a 'config' parameter too (Triton takes model files only with the configuration they go with)");
            }
            scratch = WriteFiles(name, parameters.Files);
        }
        await LoadFromAsync(name, scratch ?? Path.Combine(_repository, name), overrideConfig, scratch, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Loads <paramref name="directory"/> as model <paramref name="name"/>; the entry takes <paramref name="scratch"/> when it keeps the result, else it is deleted.</summary>
    private async Task LoadFromAsync(string name, string directory, ModelConfig? overrideConfig, string? scratch, CancellationToken cancellationToken)
    {
        var kept = false;
        Interlocked.Increment(ref _loading);
        try
        {
            if (!Directory.Exists(directory) || (overrideConfig is null && !File.Exists(Path.Combine(directory, ModelRepository.ConfigFileName))))
            {
                throw new InferenceException(InferenceErrorKind.NotFound,
                    $"failed to load '{name}': the repository has no model '{name}' (no folder {name}/ holding a {ModelRepository.ConfigFileName}); it holds: {RepositoryNames()}");
            }
            var fingerprint = scratch is null ? Fingerprint(directory) : "";
            var definition = ModelRepository.LoadModel(directory, _defaultEngine, overrideConfig);
            if (overrideConfig is not null && definition.Problems.Count > 0)
            {
                throw Invalid($"failed to load '{name}': its 'config' parameter is not a valid model configuration: {string.Join("; ", definition.Problems.Select(p => p.ToString()))}");
            }
            var (state, reason, loaded) = await Task.Run(() => LoadVersions(definition), cancellationToken).ConfigureAwait(false);
            Entry? replaced = null;
            lock (_lock)
            {
                _entries.TryGetValue(name, out var old);
                // A failed reload leaves the versions that serve in place.
                if (state == "READY" || old is null || old.Versions.Count == 0)
                {
                    replaced = old;
                    _entries[name] = new Entry(name, state, reason, loaded, scratch, fingerprint);
                    kept = state == "READY";
                }
            }
            if (replaced is not null) await ReleaseAsync(replaced).ConfigureAwait(false);
            if (state != "READY") throw new InferenceException(InferenceErrorKind.Unavailable, $"failed to load '{name}': {reason}");
        }
        finally
        {
            Interlocked.Decrement(ref _loading);
            if (!kept && scratch is not null) DeleteScratch(scratch);
        }
    }

    /// <summary>
    /// Unloads a model as Triton does: it stops taking requests (UNLOADING), the steps already
    /// queued run (up to <see cref="UnloadDrainTimeout"/>), then its versions stop and it is
    /// UNAVAILABLE ("unloaded"): the next step of a sequence that was live fails saying so.
    /// Unloading a model that is not loaded is no error.
    /// </summary>
    public async Task UnloadAsync(string name, CancellationToken cancellationToken)
    {
        CheckName(name, "unload");
        Entry? entry;
        lock (_lock)
        {
            if (!_entries.TryGetValue(name, out entry)) return;
            _entries[name] = entry with { State = entry.Versions.Count == 0 ? "UNAVAILABLE" : "UNLOADING", Reason = entry.Versions.Count == 0 ? "unloaded" : "" };
        }
        await Task.WhenAll(entry.Versions.Select(m => m.DrainAsync(UnloadDrainTimeout))).ConfigureAwait(false);
        lock (_lock)
        {
            _entries[name] = new Entry(name, "UNAVAILABLE", "unloaded", [], VersionNames: entry.Versions.Count > 0 ? entry.Versions.Select(v => v.Version).ToList() : entry.VersionNames);
        }
        await ReleaseAsync(entry).ConfigureAwait(false);
    }

    /// <summary>Triton's poll mode: every <paramref name="interval"/>, <see cref="PollOnceAsync"/>; failures are the models' (recorded), never the loop's.</summary>
    public void StartPolling(TimeSpan interval)
    {
        if (_poll is not null) throw new InvalidOperationException("the registry is already polling its repository");
        _pollStop = new CancellationTokenSource();
        var stop = _pollStop.Token;
        _poll = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(interval, stop).ConfigureAwait(false);
                    await PollOnceAsync(stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // The repository folder could not be read this time; the next poll tries again.
                }
            }
        }, CancellationToken.None);
    }

    /// <summary>One poll: model folders that are new or changed since they were loaded (re)load, folders removed unload and leave the index.</summary>
    public async Task PollOnceAsync(CancellationToken cancellationToken = default)
    {
        var onDisk = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var dir in Directory.GetDirectories(_repository))
        {
            var name = Path.GetFileName(dir);
            if (!name.StartsWith('.') && File.Exists(Path.Combine(dir, ModelRepository.ConfigFileName))) onDisk[name] = Fingerprint(dir);
        }
        Dictionary<string, string> loaded;
        lock (_lock) loaded = _entries.Values.Where(e => e.Scratch is null).ToDictionary(e => e.Name, e => e.Fingerprint, StringComparer.Ordinal);
        foreach (var (name, fingerprint) in onDisk)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (loaded.TryGetValue(name, out var was) && was == fingerprint) continue;
            try
            {
                await LoadAsync(name, cancellationToken).ConfigureAwait(false);
            }
            catch (InferenceException)
            {
                // Recorded as UNAVAILABLE with its reason.
            }
        }
        foreach (var name in loaded.Keys.Where(n => !onDisk.ContainsKey(n)))
        {
            await UnloadAsync(name, cancellationToken).ConfigureAwait(false);
            lock (_lock) _entries.Remove(name);
        }
    }

    private async Task StopPollingAsync()
    {
        if (_pollStop is null || _poll is null) return;
        await _pollStop.CancelAsync().ConfigureAwait(false);
        await _poll.ConfigureAwait(false);
        _pollStop.Dispose();
        _pollStop = null;
        _poll = null;
    }

    /// <summary>Stops an entry's versions and deletes the folder of files a load request sent, if any.</summary>
    private static async Task ReleaseAsync(Entry entry)
    {
        foreach (var m in entry.Versions) await m.DisposeAsync().ConfigureAwait(false);
        if (entry.Scratch is not null) DeleteScratch(entry.Scratch);
    }

    private static ModelConfig ParseOverride(string name, string json)
    {
        try
        {
            return JsonParser.Default.Parse<ModelConfig>(json);
        }
        catch (Exception e) when (e is InvalidJsonException or InvalidProtocolBufferException or FormatException or InvalidOperationException)
        {
            throw Invalid($"failed to load '{name}': its 'config' parameter is not a model configuration in JSON: {e.Message}");
        }
    }

    /// <summary>Writes a load request's files under a new temporary folder named after the model; returns that model folder.</summary>
    private static string WriteFiles(string name, IReadOnlyDictionary<string, ReadOnlyMemory<byte>> files)
    {
        var model = Path.Combine(Path.GetTempPath(), "ovs-load-" + Guid.NewGuid().ToString("N"), name);
        try
        {
            foreach (var (path, bytes) in files)
            {
                var full = Path.GetFullPath(Path.Combine(model, path));
                if (FileProblem(path) is { } problem || !full.StartsWith(model + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                {
                    throw Invalid($"failed to load '{name}': file parameter '{ModelLoadParameters.FilePrefix}{Shorten(path)}' {FileProblem(path) ?? "leaves the model folder"}; expected a path inside it such as {ModelLoadParameters.FilePrefix}1/model.onnx");
                }
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                File.WriteAllBytes(full, bytes.ToArray());
            }
            return model;
        }
        catch
        {
            DeleteScratch(model);
            throw;
        }
    }

    /// <summary>Why a file parameter's path is not a relative path of plain names inside the model folder, or null.</summary>
    private static string? FileProblem(string path)
    {
        if (path.Length == 0) return "has no path";
        if (Path.IsPathRooted(path) || path.Contains('\\', StringComparison.Ordinal) || path.Contains('\0', StringComparison.Ordinal)) return "is not a relative path with '/' separators";
        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0 || segment is "." or "..") return "has an empty, '.' or '..' path segment";
            // NAME_MAX: longer names no file system takes (Triton answers them with a failed poll).
            if (Encoding.UTF8.GetByteCount(segment) > 255) return "has a path segment longer than 255 bytes";
        }
        return null;
    }

    private static string Shorten(string path) => path.Length > 64 ? path[..64] + "…" : path;

    private static void DeleteScratch(string modelFolder)
    {
        try
        {
            Directory.Delete(Path.GetDirectoryName(modelFolder)!, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A temporary folder left behind is harmless.
        }
    }

    /// <summary>Sizes and modification times of every file of a model folder: what poll mode compares.</summary>
    private static string Fingerprint(string directory)
    {
        var sb = new StringBuilder();
        try
        {
            foreach (var f in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var info = new FileInfo(f);
                sb.Append(Path.GetRelativePath(directory, f)).Append(':').Append(info.Length.ToString(CultureInfo.InvariantCulture))
                  .Append(':').Append(info.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture)).Append(';');
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            sb.Append("unreadable");
        }
        return sb.ToString();
    }

    /// <summary>A model name is one folder of the repository: no separators, not "." or "..".</summary>
    private static void CheckName(string name, string action)
    {
        if (string.IsNullOrEmpty(name) || name is "." or ".." || name.IndexOfAny(['/', '\\', '\0']) >= 0)
            throw Invalid($"failed to {action} '{name}': a model name is the name of one folder of the repository (no '/', '\\', '.' or '..')");
    }

    private string RepositoryNames()
    {
        var names = Directory.Exists(_repository)
            ? Directory.GetDirectories(_repository).Select(Path.GetFileName).Where(n => n is not null && !n.StartsWith('.')).Order(StringComparer.Ordinal).ToList()
            : [];
        return names.Count == 0 ? "(none)" : string.Join(", ", names);
    }

    private static InferenceException Invalid(string message) => new(InferenceErrorKind.InvalidArgument, message);
}
