using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Config;

/// <summary>
/// Checks a <see cref="ModelConfig"/> and reports every problem at once, each with a config path
/// (<c>sequence_batching.control_input[1].control[0]</c>) and what was expected. Given the model
/// file's signature, it also checks names, element types, ranks and the batch axis against it.
/// </summary>
public static partial class ConfigValidator
{
    private static readonly DataType[] CorridTypes = [DataType.UInt64, DataType.Int64, DataType.UInt32, DataType.Int32, DataType.String];

    /// <summary>Config-only checks, plus the model-file checks when <paramref name="signature"/> is given.</summary>
    public static IReadOnlyList<ValidationProblem> Validate(ModelConfig config, ModelFileSignature? signature = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var problems = new List<ValidationProblem>();
        var parameters = StatefulParameters.Read(config, problems);
        CheckTop(config, parameters, problems);
        CheckTensors(config, problems);
        CheckSequenceBatching(config, parameters, problems);
        CheckStates(config, parameters, problems);
        CheckInstanceGroups(config, problems);
        CheckVersionPolicy(config, problems);
        if (signature is not null) problems.AddRange(CheckAgainstModelFile(config, parameters, signature));
        return problems;
    }

    private static void Add(List<ValidationProblem> problems, string location, string message) => problems.Add(new ValidationProblem(location, message));

    private static void CheckTop(ModelConfig c, StatefulParameters p, List<ValidationProblem> problems)
    {
        if (c.MaxBatchSize < 0) Add(problems, "max_batch_size", $"{c.MaxBatchSize} is negative; expected 0 (no batching) or a positive batch size");
        var declaresState = p.StatePairs.Count > 0;
        var stateful = string.Equals(c.Backend, "stateful", StringComparison.Ordinal);
        if (c.SequenceBatching is null && (declaresState || stateful))
        {
            var why = declaresState ? "it declares state pairs" : "its backend is \"stateful\"";
            Add(problems, "sequence_batching", $"missing: the model is a sequence model ({why}) and needs a sequence_batching {{ … }} section");
        }
    }

    private static void CheckTensors(ModelConfig c, List<ValidationProblem> problems)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < c.Input.Count; i++)
        {
            var x = c.Input[i];
            CheckTensor($"input[{i}]", "input", x.Name, x.DataType.ToTensorType(), x.Dims, x.Reshape, seen, i, problems);
        }
        seen.Clear();
        for (var i = 0; i < c.Output.Count; i++)
        {
            var x = c.Output[i];
            CheckTensor($"output[{i}]", "output", x.Name, x.DataType.ToTensorType(), x.Dims, x.Reshape, seen, i, problems);
        }
    }

    private static void CheckTensor(string loc, string what, string name, DataType type, IReadOnlyList<long> dims, ModelTensorReshape? reshape,
        Dictionary<string, int> seen, int index, List<ValidationProblem> problems)
    {
        if (name.Length == 0) Add(problems, $"{loc}.name", $"missing; every {what} needs a name");
        else if (!seen.TryAdd(name, index)) Add(problems, $"{loc}.name", $"\"{name}\" is already used by {what}[{seen[name]}]; {what} names must be unique");
        if (type == DataType.Invalid) Add(problems, $"{loc}.data_type", "missing or TYPE_INVALID; expected a TYPE_* data type such as TYPE_FP32");
        if (dims.Count == 0 && reshape is null) Add(problems, $"{loc}.dims", "missing; expected the tensor's dimensions, e.g. dims: [ 4, -1, 5 ]");
        CheckDims($"{loc}.dims", dims, problems);
        if (reshape is not null) CheckDims($"{loc}.reshape.shape", reshape.Shape, problems);
    }

    private static void CheckDims(string loc, IReadOnlyList<long> dims, List<ValidationProblem> problems)
    {
        for (var k = 0; k < dims.Count; k++)
        {
            if (dims[k] == 0 || dims[k] < -1)
            {
                Add(problems, $"{loc}[{k}]", $"{dims[k]} is not a dimension; expected a positive size or -1 (dynamic)");
            }
        }
    }

    private static void CheckSequenceBatching(ModelConfig c, StatefulParameters p, List<ValidationProblem> problems)
    {
        if (c.SequenceBatching is not { } sb) return;
        if (sb.Oldest is { } o)
        {
            if (o.MaxCandidateSequences < 0)
            {
                Add(problems, "sequence_batching.oldest.max_candidate_sequences", $"{o.MaxCandidateSequences} is negative; expected at least max_batch_size ({c.MaxBatchSize}), or 0 for Triton's default");
            }
            for (var k = 0; k < o.PreferredBatchSize.Count; k++)
            {
                var b = o.PreferredBatchSize[k];
                if (b <= 0 || (c.MaxBatchSize > 0 && b > c.MaxBatchSize))
                {
                    Add(problems, $"sequence_batching.oldest.preferred_batch_size[{k}]", $"{b} is not a batch size; expected 1 to max_batch_size ({Math.Max(1, c.MaxBatchSize)})");
                }
            }
        }
        if (sb.Direct is { } d && (d.MinimumSlotUtilization < 0 || d.MinimumSlotUtilization > 1 || float.IsNaN(d.MinimumSlotUtilization)))
        {
            Add(problems, "sequence_batching.direct.minimum_slot_utilization", $"{d.MinimumSlotUtilization} is out of range; expected 0 to 1");
        }

        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var kinds = new Dictionary<ControlKind, int>();
        for (var i = 0; i < sb.ControlInput.Count; i++)
        {
            var ci = sb.ControlInput[i];
            var loc = $"sequence_batching.control_input[{i}]";
            if (ci.Name.Length == 0) Add(problems, $"{loc}.name", "missing; every control input needs the name of the tensor it fills");
            else if (!names.TryAdd(ci.Name, i)) Add(problems, $"{loc}.name", $"\"{ci.Name}\" is already used by control_input[{names[ci.Name]}]; a tensor carries one control");
            else if (c.Input.Any(x => x.Name == ci.Name)) Add(problems, $"{loc}.name", $"\"{ci.Name}\" is also listed in input; control tensors are filled by the server, not sent by clients");
            if (ci.Control.Count == 0) Add(problems, $"{loc}.control", "missing; expected one control { kind: CONTROL_SEQUENCE_… }");
            else if (ci.Control.Count > 1) Add(problems, $"{loc}.control", $"{ci.Control.Count} controls on one tensor; a control tensor carries exactly one control kind");
            for (var j = 0; j < ci.Control.Count; j++)
            {
                var ctl = ci.Control[j];
                var cloc = $"{loc}.control[{j}]";
                if (!kinds.TryAdd(ctl.Kind.ToControlKind(), i))
                {
                    Add(problems, $"{cloc}.kind", $"{KindName(ctl.Kind.ToControlKind())} is already given by control_input[{kinds[ctl.Kind.ToControlKind()]}]; each control kind may appear once");
                }
                CheckControl(cloc, ctl, problems);
            }
        }
    }

    private static void CheckControl(string loc, SequenceControl ctl, List<ValidationProblem> problems)
    {
        var given = new List<(string Name, int Count)>();
        if (ctl.Int32FalseTrue.Count > 0) given.Add(("int32_false_true", ctl.Int32FalseTrue.Count));
        if (ctl.Fp32FalseTrue.Count > 0) given.Add(("fp32_false_true", ctl.Fp32FalseTrue.Count));
        if (ctl.BoolFalseTrue.Count > 0) given.Add(("bool_false_true", ctl.BoolFalseTrue.Count));
        var kind = KindName(ctl.Kind.ToControlKind());
        if (ctl.Kind.ToControlKind() == ControlKind.SequenceCorrid)
        {
            foreach (var (name, _) in given)
            {
                Add(problems, $"{loc}.{name}", $"not allowed for {kind}; the correlation id tensor takes only data_type");
            }
            // An unset data_type means TYPE_UINT64 (Triton's default for the correlation id).
            var type = ctl.DataType == ConfigDataType.TypeInvalid ? DataType.UInt64 : ctl.DataType.ToTensorType();
            if (Array.IndexOf(CorridTypes, type) < 0)
            {
                Add(problems, $"{loc}.data_type", $"{type.ConfigName()} cannot carry a correlation id; expected one of: {string.Join(", ", CorridTypes.Select(t => t.ConfigName()))}");
            }
            return;
        }
        if (given.Count == 0)
        {
            Add(problems, loc, $"{kind} needs exactly one of int32_false_true, fp32_false_true or bool_false_true with 2 values [false, true]; none is given");
        }
        else if (given.Count > 1)
        {
            Add(problems, loc, $"{kind} needs exactly one of int32_false_true, fp32_false_true or bool_false_true; found {string.Join(" and ", given.Select(g => g.Name))}");
        }
        foreach (var (name, count) in given)
        {
            if (count != 2) Add(problems, $"{loc}.{name}", $"has {count} value(s); expected exactly 2: [false value, true value]");
        }
    }

    internal static string KindName(ControlKind kind) => kind switch
    {
        ControlKind.SequenceReady => "CONTROL_SEQUENCE_READY",
        ControlKind.SequenceEnd => "CONTROL_SEQUENCE_END",
        ControlKind.SequenceCorrid => "CONTROL_SEQUENCE_CORRID",
        _ => "CONTROL_SEQUENCE_START",
    };

    private static void CheckStates(ModelConfig c, StatefulParameters p, List<ValidationProblem> problems)
    {
        var inputs = new Dictionary<string, string>(StringComparer.Ordinal);
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var s in p.StatePairs)
        {
            if (s.InputName.Length == 0) Add(problems, $"{s.Location}.input_name", "missing; a state needs the model input that reads it");
            else if (!inputs.TryAdd(s.InputName, s.Location)) Add(problems, s.Location, $"state input \"{s.InputName}\" is already declared by {inputs[s.InputName]}");
            if (s.OutputName.Length == 0) Add(problems, $"{s.Location}.output_name", "missing; a state needs the model output that writes it");
            else if (!outputs.TryAdd(s.OutputName, s.Location)) Add(problems, s.Location, $"state output \"{s.OutputName}\" is already declared by {outputs[s.OutputName]}");
            var ci = IndexOf(c.Input, x => x.Name == s.InputName);
            if (ci >= 0 && s.InputName.Length > 0) Add(problems, s.Location, $"state input \"{s.InputName}\" is also listed as input[{ci}]; states are kept by the server, not sent by clients");
            var co = IndexOf(c.Output, x => x.Name == s.OutputName);
            if (co >= 0 && s.OutputName.Length > 0) Add(problems, s.Location, $"state output \"{s.OutputName}\" is also listed as output[{co}]; states are kept by the server, not returned to clients");
            if (s.Source != StatePairSource.SequenceBatchingState) continue;

            if (s.DataType is null or DataType.Invalid) Add(problems, $"{s.Location}.data_type", "missing or TYPE_INVALID; expected the state's TYPE_* data type");
            else if (s.DataType == DataType.String) Add(problems, $"{s.Location}.data_type", "TYPE_STRING cannot be a state; expected a fixed-size numeric or bool type");
            var dims = s.Dims ?? [];
            if (dims.Count == 0)
            {
                Add(problems, $"{s.Location}.dims", "missing; expected the state's dimensions");
            }
            else
            {
                CheckDims($"{s.Location}.dims", dims, problems);
                var shape = ConfigShapes.ModelShape(c, dims);
                var dyn = ConfigShapes.DynamicCount(shape);
                if (dyn != 1)
                {
                    Add(problems, $"{s.Location}.dims", $"dims {ConfigShapes.Format(dims)} give the model shape {ConfigShapes.Format(shape)} with {dyn} dynamic dimensions; a state needs exactly one (its batch axis)");
                }
            }
            for (var k = 0; k < s.InitialState.Count; k++)
            {
                var init = s.InitialState[k];
                var iloc = $"{s.Location}.initial_state[{k}]";
                if (init.DataType.ToTensorType() != s.DataType) Add(problems, $"{iloc}.data_type", $"{init.DataType.ToTensorType().ConfigName()} differs from the state's {s.DataType?.ConfigName()}");
                if (init.Dims.Any(d => d <= 0)) Add(problems, $"{iloc}.dims", $"{ConfigShapes.Format(init.Dims)} must be concrete (positive sizes only)");
                if (init.StateDataCase == InitialState.StateDataOneofCase.None || (init.StateDataCase == InitialState.StateDataOneofCase.DataFile && init.DataFile.Length == 0)) Add(problems, iloc, "needs zero_data: true or data_file: \"…\"");
            }
        }
        foreach (var k in p.ConstantInputs)
        {
            var ci = IndexOf(c.Input, x => x.Name == k.Name);
            if (ci >= 0) Add(problems, "parameters[\"constant_inputs\"]", $"\"{k.Name}\" is also listed as input[{ci}]; constant inputs are filled by the server, not sent by clients");
            if (inputs.ContainsKey(k.Name)) Add(problems, "parameters[\"constant_inputs\"]", $"\"{k.Name}\" is a state input; it cannot also be a constant");
        }
    }

    private static void CheckInstanceGroups(ModelConfig c, List<ValidationProblem> problems)
    {
        for (var i = 0; i < c.InstanceGroup.Count; i++)
        {
            var g = c.InstanceGroup[i];
            var loc = $"instance_group[{i}]";
            if (g.Count < 0) Add(problems, $"{loc}.count", $"{g.Count} instances; expected at least 1 (or none for Triton's default of 1)");
            if (g.Gpus.Count > 0 && g.Kind is ModelInstanceGroup.Types.Kind.Cpu or ModelInstanceGroup.Types.Kind.Model)
            {
                Add(problems, $"{loc}.gpus", $"gpus cannot be given for {(g.Kind == ModelInstanceGroup.Types.Kind.Cpu ? "KIND_CPU" : "KIND_MODEL")}; expected KIND_GPU or KIND_AUTO");
            }
            for (var k = 0; k < g.Gpus.Count; k++)
            {
                if (g.Gpus[k] < 0) Add(problems, $"{loc}.gpus[{k}]", $"{g.Gpus[k]} is not a GPU index; expected 0 or more");
            }
        }
    }

    private static void CheckVersionPolicy(ModelConfig c, List<ValidationProblem> problems)
    {
        if (c.VersionPolicy is not { } vp) return;
        switch (vp.PolicyChoiceCase)
        {
            case ModelVersionPolicy.PolicyChoiceOneofCase.Latest when vp.Latest.NumVersions < 1:
                Add(problems, "version_policy.latest.num_versions", $"{vp.Latest.NumVersions}; expected at least 1");
                break;
            case ModelVersionPolicy.PolicyChoiceOneofCase.Specific when vp.Specific.Versions.Count == 0:
                Add(problems, "version_policy.specific.versions", "empty; expected the version numbers to serve, e.g. [ 1, 3 ]");
                break;
            case ModelVersionPolicy.PolicyChoiceOneofCase.Specific:
                for (var k = 0; k < vp.Specific.Versions.Count; k++)
                {
                    if (vp.Specific.Versions[k] < 1) Add(problems, $"version_policy.specific.versions[{k}]", $"{vp.Specific.Versions[k]} is not a version; versions are numbered from 1");
                }
                break;
        }
    }

    private static int IndexOf<T>(IList<T> list, Func<T, bool> match)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (match(list[i])) return i;
        }
        return -1;
    }
}
