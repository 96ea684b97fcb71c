using System.Collections.Immutable;
using OvStateful.Core.Config;
using OvStateful.Core.Ensembles;
using OvStateful.Core.Repository;

namespace OvStateful.Core.Serving;

// Ensembles in the registry: an ensemble loads after its composing models (loading those not
// yet tried, as Triton does for an ensemble it is asked to load), and is checked against them.
public sealed partial class ModelRegistry
{
    // The models whose load led to this one, in this async flow: a nested ensemble that names
    // one of them again is a cycle, reported rather than loaded forever.
    private static readonly AsyncLocal<ImmutableHashSet<string>?> LoadChain = new();

    private (string State, string Reason, IReadOnlyList<ILoadedModel> Loaded) LoadEnsemble(ModelDefinition definition)
    {
        var config = definition.Config!;
        if (definition.Problems.Count > 0) return ("UNAVAILABLE", string.Join("; ", definition.Problems.Select(p => $"{definition.Where(p)}: {p.Message}")), []);
        var chain = (LoadChain.Value ?? ImmutableHashSet<string>.Empty.WithComparer(StringComparer.Ordinal)).Add(config.Name);
        var problems = new List<ValidationProblem>();
        var graph = EnsembleGraph.TryBind(config, (string model, string? version, out string? whyNot) => ResolveStep(model, version, chain, out whyNot), problems);
        if (graph is null) return ("UNAVAILABLE", string.Join("; ", problems.Select(p => $"{definition.Where(p)}: {p.Message}")), []);
        var versions = definition.Versions.Select(v => (ILoadedModel)new EnsembleModel(config, v.Version.ToString(System.Globalization.CultureInfo.InvariantCulture), graph, this)).ToList();
        return ("READY", "", versions);
    }

    /// <summary>A composing model, loading it first when the registry has never tried it.</summary>
    private IServedModel? ResolveStep(string model, string? version, ImmutableHashSet<string> chain, out string? whyNot)
    {
        if (chain.Contains(model))
        {
            whyNot = $"is part of a cycle of ensembles ({string.Join(" → ", chain.Append(model))})";
            return null;
        }
        bool tried;
        lock (_lock) tried = _entries.ContainsKey(model);
        if (!tried && File.Exists(Path.Combine(_repository, model, ModelRepository.ConfigFileName)))
        {
            var outer = LoadChain.Value;
            LoadChain.Value = chain;
            try
            {
                // On the load's own worker thread (LoadVersions runs in Task.Run), so waiting here blocks no caller.
                LoadAsync(model, CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (InferenceException)
            {
                // Recorded with its reason; reported below.
            }
            finally
            {
                LoadChain.Value = outer;
            }
        }
        if (TryGet(model, version, out var served) && served is not null && served.IsReady)
        {
            whyNot = null;
            return served;
        }
        lock (_lock)
        {
            whyNot = _entries.TryGetValue(model, out var e)
                ? e.State == "READY" ? $"is not loaded (ready versions: {string.Join(", ", e.Versions.Select(v => v.Version))})" : $"is {e.State}{(e.Reason.Length > 0 ? $": {e.Reason}" : "")}"
                : $"is not in the repository (no folder {model}/ holding a {ModelRepository.ConfigFileName})";
        }
        return null;
    }
}
