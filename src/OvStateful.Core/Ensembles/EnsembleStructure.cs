using OvStateful.Core.Config;
using ModelEnsembling = OvStateful.Protocol.Inference.ModelEnsembling;

namespace OvStateful.Core.Ensembles;

/// <summary>
/// The checks of an ensemble's config that need no composing model: steps present and named,
/// every tensor a step reads is an ensemble input or another step's output, every ensemble
/// output is produced, no tensor produced twice, and no cycle between steps. Locations are
/// config paths (<c>ensemble_scheduling.step[1].input_map["INPUT"]</c>).
/// </summary>
public static class EnsembleStructure
{
    public static IReadOnlyList<ValidationProblem> Check(ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var problems = new List<ValidationProblem>();
        if (!EnsembleConfig.IsEnsemble(config)) return problems;
        if (!string.Equals(config.Platform, EnsembleConfig.Platform, StringComparison.Ordinal))
            problems.Add(new("platform", $"\"{config.Platform}\" with an ensemble_scheduling section; expected platform: \"ensemble\""));
        if (config.EnsembleScheduling is not { } es)
        {
            problems.Add(new("ensemble_scheduling", "missing; an ensemble (platform \"ensemble\") needs ensemble_scheduling { step [ … ] }"));
            return problems;
        }
        if (es.Step.Count == 0)
        {
            problems.Add(new("ensemble_scheduling.step", "missing; an ensemble needs at least one step { model_name: … input_map … output_map … }"));
            return problems;
        }
        var ensembleInputs = config.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        // Tensor name → the step that produces it.
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var s = 0; s < es.Step.Count; s++)
        {
            var step = es.Step[s];
            var loc = $"ensemble_scheduling.step[{s}]";
            if (step.ModelName.Length == 0) problems.Add(new($"{loc}.model_name", "missing; every step names the composing model it runs"));
            if (step.ModelVersion < -1 || step.ModelVersion == 0)
                problems.Add(new($"{loc}.model_version", $"{step.ModelVersion} is not a version; expected -1 (the newest ready one) or a version ≥ 1"));
            if (step.OutputMap.Count == 0) problems.Add(new($"{loc}.output_map", "missing; a step's outputs must go to ensemble tensors (output_map { key: \"<model output>\" value: \"<tensor>\" })"));
            foreach (var (output, tensor) in step.OutputMap)
            {
                if (ensembleInputs.Contains(tensor))
                    problems.Add(new($"{loc}.output_map[\"{output}\"]", $"writes \"{tensor}\", which is an ensemble input; a step's output needs a tensor name of its own"));
                else if (!producer.TryAdd(tensor, s))
                    problems.Add(new($"{loc}.output_map[\"{output}\"]", $"writes \"{tensor}\", which step[{producer[tensor]}] (model '{es.Step[producer[tensor]].ModelName}') writes too; every ensemble tensor has one producer"));
            }
        }
        for (var s = 0; s < es.Step.Count; s++)
        {
            if (es.Step[s].InputMap.Count == 0)
                problems.Add(new($"ensemble_scheduling.step[{s}].input_map", "missing; a step reads its inputs from ensemble tensors (input_map { key: \"<model input>\" value: \"<tensor>\" })"));
            foreach (var (input, tensor) in es.Step[s].InputMap)
            {
                if (!ensembleInputs.Contains(tensor) && !producer.ContainsKey(tensor))
                {
                    problems.Add(new($"ensemble_scheduling.step[{s}].input_map[\"{input}\"]",
                        $"reads \"{tensor}\", which is neither an ensemble input ({Names(ensembleInputs)}) nor any step's output ({Names(producer.Keys)})"));
                }
            }
        }
        for (var o = 0; o < config.Output.Count; o++)
        {
            var name = config.Output[o].Name;
            if (name.Length > 0 && !producer.ContainsKey(name))
                problems.Add(new($"output[{o}]", $"\"{name}\" is produced by no step; expected a step with output_map {{ key: \"<model output>\" value: \"{name}\" }}"));
        }
        if (Cycle(es, producer) is { } cycle) problems.Add(new("ensemble_scheduling.step", $"the steps form a cycle ({cycle}); an ensemble's steps must form a DAG"));
        return problems;
    }

    /// <summary>The steps' order when every step runs after the producers of its inputs (Kahn); the steps left out are in or after a cycle.</summary>
    public static List<int> TopologicalOrder(ModelEnsembling es, IReadOnlyDictionary<string, int> producer)
    {
        var n = es.Step.Count;
        var waiting = new int[n];
        var consumers = new List<int>[n];
        for (var s = 0; s < n; s++) consumers[s] = [];
        for (var s = 0; s < n; s++)
        {
            foreach (var p in es.Step[s].InputMap.Values.Where(producer.ContainsKey).Select(t => producer[t]).Distinct())
            {
                waiting[s]++;
                consumers[p].Add(s);
            }
        }
        var order = new List<int>(n);
        var ready = new Queue<int>(Enumerable.Range(0, n).Where(s => waiting[s] == 0));
        while (ready.TryDequeue(out var s))
        {
            order.Add(s);
            foreach (var c in consumers[s])
            {
                if (--waiting[c] == 0) ready.Enqueue(c);
            }
        }
        return order;
    }

    private static string? Cycle(ModelEnsembling es, Dictionary<string, int> producer)
    {
        var order = TopologicalOrder(es, producer);
        if (order.Count == es.Step.Count) return null;
        var stuck = Enumerable.Range(0, es.Step.Count).Except(order);
        return string.Join(", ", stuck.Select(s => $"step[{s}] (model '{es.Step[s].ModelName}') reads {string.Join(", ", es.Step[s].InputMap.Values.Where(producer.ContainsKey).Select(t => $"\"{t}\" from step[{producer[t]}]"))}"));
    }

    private static string Names(IEnumerable<string> names)
    {
        var list = names.Order(StringComparer.Ordinal).Select(n => $"\"{n}\"").ToList();
        return list.Count == 0 ? "none" : string.Join(", ", list);
    }
}
