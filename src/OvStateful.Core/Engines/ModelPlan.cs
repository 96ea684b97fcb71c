using OvStateful.Core.Config;
using OvStateful.Core.State;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Engines;

/// <summary>
/// How a config maps onto a model file's real inputs and outputs: which inputs clients send,
/// which are state pairs, controls or constants, where each tensor's batch axis is, and what
/// one request's tensors look like. Engine-agnostic: both engines build on it.
/// </summary>
public sealed class ModelPlan
{
    private ModelPlan(string modelName, int maxBatchSize, PlannedTensor[] inputs, PlannedTensor[] outputs,
        PlannedState[] states, PlannedControl[] controls, PlannedConstant[] constants)
    {
        ModelName = modelName;
        MaxBatchSize = maxBatchSize;
        Inputs = inputs;
        Outputs = outputs;
        States = states;
        Controls = controls;
        Constants = constants;
    }

    public string ModelName { get; }
    /// <summary>Most rows per run (max_batch_size, or 1 for a model that does not batch).</summary>
    public int MaxBatchSize { get; }
    public IReadOnlyList<PlannedTensor> Inputs { get; }
    public IReadOnlyList<PlannedTensor> Outputs { get; }
    public IReadOnlyList<PlannedState> States { get; }
    public IReadOnlyList<PlannedControl> Controls { get; }
    public IReadOnlyList<PlannedConstant> Constants { get; }

    /// <summary>
    /// Builds the plan or throws one <see cref="EngineException"/> listing every problem.
    /// </summary>
    /// <param name="versionDirectory">Where Triton's initial_state/ data files live.</param>
    public static ModelPlan Build(ModelConfig config, ModelFileSignature model, string versionDirectory)
    {
        var plan = TryBuild(config, model, versionDirectory, out var problems);
        return plan ?? throw new EngineException($"model \"{config.Name}\" does not fit its model file: " + string.Join("; ", problems));
    }

    /// <summary>
    /// The plan, or null with every problem listed: what <see cref="Build"/> would refuse, for
    /// <c>ovs validate</c>, so that whatever validate passes, serve loads.
    /// </summary>
    public static ModelPlan? TryBuild(ModelConfig config, ModelFileSignature model, string versionDirectory, out IReadOnlyList<string> problemList)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(model);
        var problems = new List<string>();
        problemList = problems;
        var name = config.Name;
        var batching = config.MaxBatchSize > 0;
        var configProblems = new List<ValidationProblem>();
        var parameters = StatefulParameters.Read(config, configProblems);
        problems.AddRange(configProblems.Select(p => p.ToString()));
        var pairs = parameters.StatePairs;
        var constants = parameters.ConstantInputs.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var contexts = parameters.InputContexts.ToDictionary(c => c.InputName, c => c.Length, StringComparer.Ordinal);
        var controlsByName = (config.SequenceBatching?.ControlInput ?? []).ToDictionary(c => c.Name, StringComparer.Ordinal);
        var configInputs = config.Input.ToDictionary(i => i.Name, StringComparer.Ordinal);
        foreach (var optional in config.Input.Where(i => i.Optional))
        {
            // The engines feed every model input at every step; a request may not leave one out.
            problems.Add($"input \"{optional.Name}\" is optional: not supported (every model input is fed at every step); remove optional: true");
        }
        var configOutputs = config.Output.ToDictionary(o => o.Name, StringComparer.Ordinal);
        var modelOutputs = model.Outputs.ToDictionary(o => o.Name, StringComparer.Ordinal);
        var stateOutputs = new HashSet<string>(pairs.Select(p => p.OutputName), StringComparer.Ordinal);

        var inputs = new List<PlannedTensor>();
        var states = new List<PlannedState>();
        var controls = new List<PlannedControl>();
        var planned = new List<PlannedConstant>();

        foreach (var mi in model.Inputs)
        {
            var pair = pairs.FirstOrDefault(p => p.InputName == mi.Name);
            if (pair is not null)
            {
                PlanState(mi, pair, modelOutputs, versionDirectory, states, problems);
            }
            else if (controlsByName.TryGetValue(mi.Name, out var ci))
            {
                PlanControl(mi, ci, controls, problems);
            }
            else if (constants.TryGetValue(mi.Name, out var constant))
            {
                PlanConstant(mi, constant, planned, problems);
            }
            else if (configInputs.TryGetValue(mi.Name, out var input))
            {
                var t = PlanTensor(mi, input.DataType.ToTensorType(), input.Dims, batching, "input", problems, contexts.GetValueOrDefault(mi.Name));
                if (t is not null) inputs.Add(t);
            }
            else
            {
                problems.Add($"model input \"{mi.Name}\" is fed by nothing: declare it in input, as a state pair, a control_input, or in the constant_inputs parameter");
            }
        }
        foreach (var ci in config.Input)
        {
            if (!model.Inputs.Any(m => m.Name == ci.Name)) problems.Add($"config input \"{ci.Name}\" is not an input of the model file (it has: {string.Join(", ", model.Inputs.Select(m => m.Name))})");
        }

        foreach (var c in parameters.InputContexts)
        {
            if (!configInputs.ContainsKey(c.InputName)) problems.Add($"input_context \"{c.InputName}\" names no config input (inputs: {string.Join(", ", config.Input.Select(i => i.Name))})");
        }

        var outputs = new List<PlannedTensor>();
        foreach (var mo in model.Outputs)
        {
            if (stateOutputs.Contains(mo.Name)) continue;
            if (configOutputs.Count > 0 && !configOutputs.ContainsKey(mo.Name)) continue; // not asked for in the config
            configOutputs.TryGetValue(mo.Name, out var co);
            var t = PlanTensor(mo, co?.DataType.ToTensorType() ?? mo.DataType, co?.Dims, batching, "output", problems);
            if (t is not null) outputs.Add(t);
        }
        foreach (var co in config.Output)
        {
            if (!modelOutputs.ContainsKey(co.Name)) problems.Add($"config output \"{co.Name}\" is not an output of the model file (it has: {string.Join(", ", model.Outputs.Select(m => m.Name))})");
        }

        if (problems.Count > 0) return null;
        return new ModelPlan(name, batching ? config.MaxBatchSize : 1, [.. inputs], [.. outputs], [.. states], [.. controls], [.. planned]);
    }

    // ---- state pairs -------------------------------------------------------------------

    private static void PlanState(ModelFileTensor mi, StatePairDecl pair,
        Dictionary<string, ModelFileTensor> modelOutputs, string versionDirectory, List<PlannedState> states, List<string> problems)
    {
        if (!modelOutputs.TryGetValue(pair.OutputName, out var mo))
        {
            problems.Add($"state pair <<<{pair.InputName}, {pair.OutputName}>>>: the model has no output \"{pair.OutputName}\"");
            return;
        }
        if (mi.DataType == DataType.String || mo.DataType == DataType.String)
        {
            problems.Add($"state pair <<<{pair.InputName}, {pair.OutputName}>>>: the model file's tensors are BYTES (TYPE_STRING); a state must be a fixed-size numeric or bool tensor (strings may be ordinary inputs and outputs)");
            return;
        }
        if (mi.DataType != mo.DataType || !Compatible(mi.Shape, mo.Shape))
        {
            problems.Add($"state pair <<<{pair.InputName}, {pair.OutputName}>>>: input is {mi.DataType.WireName()} {Shapes.Format(mi.Shape)} but output is {mo.DataType.WireName()} {Shapes.Format(mo.Shape)}; a state's input and output must match");
            return;
        }
        var dynamicAxes = Enumerable.Range(0, mi.Shape.Length).Where(k => mi.Shape[k] < 0).ToArray();
        if (dynamicAxes.Length != 1)
        {
            problems.Add($"state \"{pair.InputName}\" {Shapes.Format(mi.Shape)} must have exactly one dynamic dimension (its batch axis); it has {dynamicAxes.Length}");
            return;
        }
        var spec = new StateSpec(pair.InputName, pair.OutputName, mi.DataType, (long[])mi.Shape.Clone(), dynamicAxes[0]);
        byte[]? initial = null;
        var init = pair.InitialState.FirstOrDefault();
        if (init is not null && !init.ZeroData && init.DataFile.Length > 0)
        {
            // Triton reads initial_state/ under the model folder (beside the version folders); we also accept it in the version folder.
            var modelDirectory = Path.GetDirectoryName(Path.GetFullPath(versionDirectory).TrimEnd(Path.DirectorySeparatorChar)) ?? versionDirectory;
            var path = Path.Combine(modelDirectory, "initial_state", init.DataFile);
            if (!File.Exists(path)) path = Path.Combine(versionDirectory, "initial_state", init.DataFile);
            if (!File.Exists(path)) problems.Add($"state \"{pair.InputName}\": initial_state data_file {init.DataFile} is in neither {Path.Combine(modelDirectory, "initial_state")} nor {Path.Combine(versionDirectory, "initial_state")}");
            else
            {
                initial = File.ReadAllBytes(path);
                if (initial.Length != spec.SlotBytes)
                    problems.Add($"state \"{pair.InputName}\": initial_state data_file {path} has {initial.Length} bytes; {spec.SlotBytes} expected ({spec.DataType.WireName()} {Shapes.Format(spec.SlotShape)})");
            }
        }
        states.Add(new PlannedState(spec, initial));
    }

    // Same rank, and each dimension equal where both are known (exporters often leave the output fully dynamic).
    private static bool Compatible(long[] a, long[] b) =>
        a.Length == b.Length && a.Zip(b).All(p => p.First < 0 || p.Second < 0 || p.First == p.Second);

    // ---- controls and constants --------------------------------------------------------

    private static void PlanControl(ModelFileTensor mi, ControlInput ci, List<PlannedControl> controls, List<string> problems)
    {
        if (ci.Control.Count == 0) { problems.Add($"control_input \"{ci.Name}\" has no control"); return; }
        var c = ci.Control[0];
        double f = 0, t = 1;
        if (c.Int32FalseTrue.Count == 2) (f, t) = (c.Int32FalseTrue[0], c.Int32FalseTrue[1]);
        else if (c.Fp32FalseTrue.Count == 2) (f, t) = (c.Fp32FalseTrue[0], c.Fp32FalseTrue[1]);
        else if (c.BoolFalseTrue.Count == 2) (f, t) = (c.BoolFalseTrue[0] ? 1 : 0, c.BoolFalseTrue[1] ? 1 : 0);
        else if (c.Kind.ToControlKind() != ControlKind.SequenceCorrid) { problems.Add($"control_input \"{ci.Name}\" ({c.Kind}) needs int32_false_true, fp32_false_true or bool_false_true with two values"); return; }
        if (mi.DataType == DataType.String && c.Kind.ToControlKind() != ControlKind.SequenceCorrid)
        {
            problems.Add($"control_input \"{ci.Name}\" ({c.Kind}): the model file's input is BYTES (TYPE_STRING); only a CONTROL_SEQUENCE_CORRID control can fill a string input");
            return;
        }
        if (c.Kind.ToControlKind() == ControlKind.SequenceCorrid && (mi.DataType == DataType.String) != (c.DataType == ConfigDataType.TypeString))
        {
            var configType = c.DataType == ConfigDataType.TypeInvalid ? DataType.UInt64 : c.DataType.ToTensorType();
            problems.Add($"control_input \"{ci.Name}\" (CONTROL_SEQUENCE_CORRID): data_type is {configType.ConfigName()} but the model file's input is {mi.DataType.ConfigName()}; they must agree");
            return;
        }
        var axis = Array.IndexOf(mi.Shape, -1L);
        var shape = (long[])mi.Shape.Clone();
        for (var k = 0; k < shape.Length; k++) if (k != axis && shape[k] < 0) shape[k] = 1;
        controls.Add(new PlannedControl(ci.Name, c.Kind.ToControlKind(), mi.DataType, shape, axis, LayoutOf(shape, axis, mi.DataType), f, t));
    }

    private static void PlanConstant(ModelFileTensor mi, ConstantInput constant, List<PlannedConstant> planned, List<string> problems)
    {
        var value = constant.Value;
        if (mi.DataType == DataType.String)
        {
            problems.Add($"constant input \"{mi.Name}\": BYTES model inputs cannot be constants");
            return;
        }
        var shape = mi.Shape.Select(d => d < 0 ? 1L : d).ToArray();
        var data = new byte[Shapes.ElementCount(shape) * mi.DataType.ByteSize()];
        if (mi.DataType is DataType.Int64 or DataType.UInt64) ElementWriter.FillInteger(data, mi.DataType, (ulong)(long)value);
        else ElementWriter.Fill(data, mi.DataType, value);
        planned.Add(new PlannedConstant(mi.Name, mi.DataType, shape, data));
    }

    // ---- request tensors ---------------------------------------------------------------

    /// <summary>
    /// Resolves the batch axis and request shape of a request input or output. Two config
    /// conventions: dims with a -1 (the stateful backend's; the -1 is the batch axis and dims
    /// has the model's rank), or Triton's usual dims without the batch dimension (the model
    /// has [batch] + dims). Requests carry a leading 1 when max_batch_size &gt; 0.
    /// An input with <paramref name="context"/> &gt; 0 elements of input_context is planned as the
    /// model sees it: its last axis longer by the context (the engine is fed context + new part;
    /// <see cref="InputContextEngine"/> gives clients the config's shape).
    /// </summary>
    private static PlannedTensor? PlanTensor(ModelFileTensor m, DataType configType, IReadOnlyList<long>? dims, bool batching, string what, List<string> problems, int context = 0)
    {
        if (configType != m.DataType)
        {
            problems.Add($"{what} \"{m.Name}\": config says {configType.ConfigName()} but the model file has {m.DataType.ConfigName()}");
            return null;
        }
        long[] modelShape;
        int axis;
        if (dims is not null && dims.Contains(-1))
        {
            if (dims.Count(d => d == -1) != 1 || dims.Count != m.Shape.Length)
            {
                problems.Add($"{what} \"{m.Name}\": dims {Shapes.Format(dims.ToArray())} must have one -1 (the batch axis) and the model's rank {m.Shape.Length} (model: {Shapes.Format(m.Shape)})");
                return null;
            }
            axis = dims.ToList().IndexOf(-1);
            modelShape = [.. dims];
        }
        else if (batching)
        {
            var inner = dims ?? [.. m.Shape.Skip(1)];
            if (inner.Count + 1 != m.Shape.Length)
            {
                problems.Add($"{what} \"{m.Name}\": dims {Shapes.Format(inner.ToArray())} plus the batch dimension do not match the model's {Shapes.Format(m.Shape)}");
                return null;
            }
            axis = 0;
            modelShape = [-1, .. inner];
        }
        else
        {
            axis = -1;
            modelShape = [.. (dims ?? [.. m.Shape])];
        }
        if (context > 0)
        {
            if (modelShape.Length == 0 || axis == modelShape.Length - 1)
            {
                problems.Add($"input_context \"{m.Name}\": the context goes along the input's last axis, and {(modelShape.Length == 0 ? "a scalar has none" : "that is its batch axis")} (model shape {Shapes.Format(modelShape)})");
                return null;
            }
            if (modelShape[^1] > 0) modelShape[^1] += context;
        }
        for (var k = 0; k < modelShape.Length; k++)
        {
            if (k == axis) continue;
            if (modelShape[k] < 0 || (m.Shape[k] >= 0 && m.Shape[k] != modelShape[k]))
            {
                problems.Add($"{what} \"{m.Name}\": dimension {k} is {modelShape[k]} in the config and {m.Shape[k]} in the model file ({Shapes.Format(m.Shape)}); a concrete matching size is needed");
                return null;
            }
        }
        var row = modelShape.Select((d, k) => k == axis ? 1L : d).ToArray();
        // Triton's request shape: the leading request-batch dim of 1, then dims (the -1 written as 1).
        long[] request = !batching ? row : dims is not null && dims.Contains(-1) ? [1, .. row] : [1, .. row.Skip(1)];
        var spec = new TensorSpec(m.Name, m.DataType, request);
        return new PlannedTensor(spec, modelShape, axis, LayoutOf(modelShape, axis, m.DataType));
    }

    /// <summary>The row layout; a BYTES tensor's counts elements (one unit per string), not bytes.</summary>
    private static BatchAxisLayout LayoutOf(long[] shape, int axis, DataType type) =>
        BatchAxisLayout.For(shape, axis, type == DataType.String ? DataType.UInt8 : type);
}
