using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Ensembles;

/// <summary>Finds a composing model for an ensemble: the model, or null and why not (not in the repository, not ready).</summary>
public delegate IServedModel? EnsembleStepResolver(string model, string? version, out string? whyNot);

/// <summary>
/// An ensemble's steps bound to its composing models as they were at load: each step's
/// tensors, the ensemble's own inputs and outputs (typed and shaped as the steps that read and
/// write them), and which steps are stateful. Built by <see cref="TryBind"/>, which names every
/// problem: a missing or unready step model, an input_map or output_map naming no tensor of
/// the model, a model input left unmapped, a data type or shape that differs between the step
/// that writes a tensor and a step (or the ensemble output) that reads it.
/// </summary>
public sealed class EnsembleGraph
{
    private EnsembleGraph(IReadOnlyList<EnsembleStep> steps, IReadOnlyList<int> order, IReadOnlyList<TensorSpec> inputs, IReadOnlyList<TensorSpec> outputs)
    {
        Steps = steps;
        Order = order;
        Inputs = inputs;
        Outputs = outputs;
    }

    /// <summary>Steps in config order.</summary>
    public IReadOnlyList<EnsembleStep> Steps { get; }

    /// <summary>Step indexes in an order where every step comes after the producers of its inputs.</summary>
    public IReadOnlyList<int> Order { get; }

    /// <summary>The ensemble's inputs as clients send them (each shaped as the first step that reads it takes it).</summary>
    public IReadOnlyList<TensorSpec> Inputs { get; }

    /// <summary>The ensemble's outputs as the steps that write them produce them.</summary>
    public IReadOnlyList<TensorSpec> Outputs { get; }

    /// <summary>The first stateful step in <see cref="Order"/>, or null when every step is stateless.</summary>
    public EnsembleStep? FirstStatefulStep => Order.Select(i => Steps[i]).FirstOrDefault(s => s.IsStateful);

    /// <summary>Binds <paramref name="config"/>'s steps to the models <paramref name="resolve"/> finds; null when a problem was added.</summary>
    public static EnsembleGraph? TryBind(ModelConfig config, EnsembleStepResolver resolve, List<ValidationProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(resolve);
        ArgumentNullException.ThrowIfNull(problems);
        var before = problems.Count;
        problems.AddRange(EnsembleStructure.Check(config));
        if (problems.Count > before) return null;
        var es = config.EnsembleScheduling;

        // Ensemble tensor → its spec and who wrote it: the ensemble's declared inputs first, then each step's outputs.
        var tensors = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        foreach (var input in config.Input)
            tensors[input.Name] = new TensorInfo(input.DataType.ToTensorType(), Declared(config, input.Dims), $"ensemble input '{input.Name}'", true);

        var steps = new EnsembleStep[es.Step.Count];
        var models = new IServedModel?[es.Step.Count];
        for (var s = 0; s < es.Step.Count; s++)
        {
            var step = es.Step[s];
            var loc = $"ensemble_scheduling.step[{s}]";
            var version = step.ModelVersion > 0 ? step.ModelVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
            var model = resolve(step.ModelName, version, out var whyNot);
            models[s] = model;
            if (model is null)
            {
                problems.Add(new($"{loc}.model_name", $"step model '{step.ModelName}'{(version is null ? "" : $" version {version}")} {whyNot}"));
                continue;
            }
            var name = $"step[{s}] (model '{model.Name}')";
            foreach (var key in step.InputMap.Keys.Where(k => !model.Inputs.Any(i => i.Name == k)))
                problems.Add(new($"{loc}.input_map[\"{key}\"]", $"{name} has no input '{key}'; its inputs are {Names(model.Inputs)}"));
            foreach (var spec in model.Inputs.Where(i => !step.InputMap.ContainsKey(i.Name)))
                problems.Add(new($"{loc}.input_map", $"{name}'s input '{spec.Name}' is not mapped; expected input_map {{ key: \"{spec.Name}\" value: \"<ensemble tensor>\" }}"));
            foreach (var (key, tensor) in step.OutputMap)
            {
                var spec = model.Outputs.FirstOrDefault(o => o.Name == key);
                if (spec is null) problems.Add(new($"{loc}.output_map[\"{key}\"]", $"{name} has no output '{key}'; its outputs are {Names(model.Outputs)}"));
                else tensors[tensor] = new TensorInfo(spec.DataType, spec.RequestShape, $"{name}'s output '{key}'", false);
            }
            if (config.MaxBatchSize > Math.Max(0, model.Config.MaxBatchSize))
                problems.Add(new("max_batch_size", $"{config.MaxBatchSize} is more than {name} takes ({model.Config.MaxBatchSize}); an ensemble's max_batch_size is at most each composing model's"));
            steps[s] = new EnsembleStep(s, model.Name, version, step.InputMap.Select(kv => (kv.Key, kv.Value)).ToArray(),
                step.OutputMap.Select(kv => (kv.Key, kv.Value)).ToArray(), model.Config.SequenceBatching is not null);
        }
        if (problems.Count > before) return null;

        var read = new HashSet<string>(StringComparer.Ordinal);
        // Every read must see the type and shape the reader takes; a declared ensemble input takes the first reader's concrete shape.
        for (var s = 0; s < steps.Length; s++)
        {
            foreach (var (input, tensor) in steps[s].Inputs)
            {
                var spec = models[s]!.Inputs.First(i => i.Name == input);
                var wants = new TensorInfo(spec.DataType, spec.RequestShape, "", false);
                var have = tensors[tensor];
                read.Add(tensor);
                if (Mismatch(have, wants) is { } what)
                {
                    problems.Add(new($"ensemble_scheduling.step[{s}].input_map[\"{input}\"]",
                        $"{steps[s]} takes '{input}' as {Describe(wants)}, but tensor \"{tensor}\" ({have.From}) is {Describe(have)}: the {what} differs"));
                }
                else if (have.Declared && have.Shape.Contains(-1)) tensors[tensor] = have with { Shape = spec.RequestShape };
            }
        }
        for (var i = 0; i < config.Input.Count; i++)
        {
            if (!read.Contains(config.Input[i].Name))
                problems.Add(new($"input[{i}]", $"ensemble input '{config.Input[i].Name}' is read by no step; expected a step with input_map {{ key: \"<model input>\" value: \"{config.Input[i].Name}\" }}"));
        }
        var outputs = new List<TensorSpec>(config.Output.Count);
        for (var o = 0; o < config.Output.Count; o++)
        {
            var output = config.Output[o];
            var declared = new TensorInfo(output.DataType.ToTensorType(), Declared(config, output.Dims), "", true);
            var have = tensors[output.Name];
            if (Mismatch(have, declared) is { } what)
                problems.Add(new($"output[{o}]", $"'{output.Name}' is declared {Describe(declared)}, but {have.From} is {Describe(have)}: the {what} differs"));
            else outputs.Add(new TensorSpec(output.Name, have.Type, have.Shape));
        }
        if (problems.Count > before) return null;
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var step in steps)
        {
            foreach (var (_, tensor) in step.Outputs) producer[tensor] = step.Index;
        }
        var order = EnsembleStructure.TopologicalOrder(es, producer);
        var inputs = config.Input.Select(i => new TensorSpec(i.Name, tensors[i.Name].Type, tensors[i.Name].Shape)).ToList();
        return new EnsembleGraph(steps, order, inputs, outputs);
    }

    /// <summary>An ensemble tensor while binding: its type, its request shape (-1 = any size, only in what the ensemble declares), who writes it.</summary>
    private readonly record struct TensorInfo(DataType Type, long[] Shape, string From, bool Declared);

    /// <summary>A tensor's dims as the ensemble's config declares them, shaped as clients send it ([1] + dims when it batches).</summary>
    private static long[] Declared(ModelConfig config, IEnumerable<long> dims) => config.MaxBatchSize > 0 ? [1, .. dims] : [.. dims];

    /// <summary>"data type" or "shape" when <paramref name="have"/> cannot feed <paramref name="wants"/> (-1 matches any size), else null.</summary>
    private static string? Mismatch(TensorInfo have, TensorInfo wants)
    {
        if (have.Type != wants.Type) return "data type";
        if (have.Shape.Length != wants.Shape.Length) return "shape";
        for (var d = 0; d < have.Shape.Length; d++)
        {
            if (have.Shape[d] != wants.Shape[d] && have.Shape[d] != -1 && wants.Shape[d] != -1) return "shape";
        }
        return null;
    }

    private static string Describe(TensorInfo t) => $"{t.Type.WireName()} {Shapes.Format(t.Shape)}";

    private static string Names(IReadOnlyList<TensorSpec> specs) =>
        specs.Count == 0 ? "none" : string.Join(", ", specs.Select(s => $"'{s.Name}'"));
}
