using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Config;

public static partial class ConfigValidator
{
    /// <summary>
    /// Checks the config against a model file's real inputs and outputs: every config tensor, state
    /// pair, START/READY control and constant input exists with the same element type and a
    /// compatible shape, every model input is fed by something, and each state has exactly one
    /// dynamic dimension (its batch axis). END and CORRID may be absent from the model: the server
    /// consumes them.
    /// </summary>
    public static IReadOnlyList<ValidationProblem> CheckAgainstModelFile(ModelConfig config, StatefulParameters parameters, ModelFileSignature signature)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(signature);
        var problems = new List<ValidationProblem>();
        var fileInputs = ByName(signature.Inputs);
        var fileOutputs = ByName(signature.Outputs);
        var fed = new HashSet<string>(StringComparer.Ordinal);

        for (var i = 0; i < config.Input.Count; i++)
        {
            var x = config.Input[i];
            fed.Add(x.Name);
            CheckTensorAgainstFile(config, $"input[{i}]", "input", x.Name, x.DataType.ToTensorType(), x.Reshape?.Shape ?? x.Dims, fileInputs, problems);
        }
        for (var i = 0; i < config.Output.Count; i++)
        {
            var x = config.Output[i];
            CheckTensorAgainstFile(config, $"output[{i}]", "output", x.Name, x.DataType.ToTensorType(), x.Reshape?.Shape ?? x.Dims, fileOutputs, problems);
        }

        foreach (var s in parameters.StatePairs)
        {
            fed.Add(s.InputName);
            var hasIn = fileInputs.TryGetValue(s.InputName, out var sin);
            var hasOut = fileOutputs.TryGetValue(s.OutputName, out var sout);
            if (!hasIn) Add(problems, s.Location, $"state input \"{s.InputName}\" is not an input of the model file; its inputs are: {Names(signature.Inputs)}");
            if (!hasOut) Add(problems, s.Location, $"state output \"{s.OutputName}\" is not an output of the model file; its outputs are: {Names(signature.Outputs)}");
            if (hasIn && hasOut)
            {
                if (sin!.DataType != sout!.DataType)
                {
                    Add(problems, s.Location, $"state input \"{s.InputName}\" is {sin.DataType.WireName()} but state output \"{s.OutputName}\" is {sout.DataType.WireName()}; a state pair needs one element type");
                }
                if (!ShapesCompatible(sin.Shape, sout.Shape))
                {
                    Add(problems, s.Location, $"state input \"{s.InputName}\" has shape {Shapes.Format(sin.Shape)} but state output \"{s.OutputName}\" has {Shapes.Format(sout.Shape)}; a state pair needs one shape");
                }
                var dyn = ConfigShapes.DynamicCount(sin.Shape);
                if (dyn != 1)
                {
                    Add(problems, s.Location, $"state \"{s.InputName}\" has shape {Shapes.Format(sin.Shape)} with {dyn} dynamic dimensions in the model file; a state needs exactly one (its batch axis)");
                }
            }
            if (hasIn && s.DataType is { } dt && dt != DataType.Invalid && dt != sin!.DataType)
            {
                Add(problems, $"{s.Location}.data_type", $"{dt.ConfigName()} in the config, but the model file's input \"{s.InputName}\" is {sin.DataType.ConfigName()}");
            }
            if (hasIn && s.Dims is { Count: > 0 } dims)
            {
                var expected = ConfigShapes.ModelShape(config, dims, sin!.Shape.Length);
                var axis = ConfigShapes.BatchAxis(config, dims, sin.Shape.Length);
                if (!Fits(expected, sin.Shape, axis, config.MaxBatchSize, out var why))
                {
                    Add(problems, $"{s.Location}.dims", $"dims {ConfigShapes.Format(dims)} mean model shape {Shapes.Format(expected)}, but the model file's input \"{s.InputName}\" has {Shapes.Format(sin.Shape)} ({why})");
                }
            }
        }

        if (config.SequenceBatching is { } sb)
        {
            for (var i = 0; i < sb.ControlInput.Count; i++)
            {
                var ci = sb.ControlInput[i];
                fed.Add(ci.Name);
                if (fileInputs.ContainsKey(ci.Name) || ci.Name.Length == 0) continue;
                var consumed = ci.Control.Count > 0 && ci.Control.All(k => k.Kind.ToControlKind() is ControlKind.SequenceEnd or ControlKind.SequenceCorrid);
                if (!consumed)
                {
                    var kind = ci.Control.Count > 0 ? KindName(ci.Control[0].Kind.ToControlKind()) : "a control";
                    Add(problems, $"sequence_batching.control_input[{i}].name", $"\"{ci.Name}\" ({kind}) is not an input of the model file; its inputs are: {Names(signature.Inputs)}. Only END and CORRID controls may be absent (the server consumes them)");
                }
            }
        }

        foreach (var k in parameters.ConstantInputs)
        {
            fed.Add(k.Name);
            if (!fileInputs.TryGetValue(k.Name, out var t))
            {
                Add(problems, "parameters[\"constant_inputs\"]", $"\"{k.Name}\" is not an input of the model file; its inputs are: {Names(signature.Inputs)}");
            }
            else if (t.DataType is DataType.String or DataType.Invalid)
            {
                Add(problems, "parameters[\"constant_inputs\"]", $"\"{k.Name}\" is {t.DataType.WireName()} in the model file; constant inputs must be numeric or bool");
            }
        }

        foreach (var t in signature.Inputs)
        {
            if (!fed.Contains(t.Name))
            {
                Add(problems, "input", $"the model file's input \"{t.Name}\" ({t.DataType.WireName()} {Shapes.Format(t.Shape)}) is fed by nothing; declare it in input, state_pairs / sequence_batching.state, control_input or parameters[\"constant_inputs\"]");
            }
        }
        return problems;
    }

    private static void CheckTensorAgainstFile(ModelConfig config, string loc, string what, string name, DataType type, IReadOnlyList<long> dims,
        Dictionary<string, ModelFileTensor> file, List<ValidationProblem> problems)
    {
        if (name.Length == 0) return;
        if (!file.TryGetValue(name, out var t))
        {
            Add(problems, $"{loc}.name", $"\"{name}\" is not an {what} of the model file; its {what}s are: {Names(file.Values)}");
            return;
        }
        if (type != DataType.Invalid && type != t.DataType)
        {
            Add(problems, $"{loc}.data_type", $"{type.ConfigName()} in the config, but the model file's {what} \"{name}\" is {t.DataType.ConfigName()}");
        }
        if (dims.Count == 0 && config.MaxBatchSize <= 0 && t.Shape.Length == 0) return;
        var expected = ConfigShapes.ModelShape(config, dims, t.Shape.Length);
        if (!Fits(expected, t.Shape, ConfigShapes.BatchAxis(config, dims, t.Shape.Length), config.MaxBatchSize, out var why))
        {
            Add(problems, $"{loc}.dims", $"dims {ConfigShapes.Format(dims)} mean model shape {Shapes.Format(expected)} (-1: batch or dynamic), but the model file's {what} \"{name}\" has {Shapes.Format(t.Shape)} ({why})");
        }
    }

    /// <summary>Whether the model file's shape accepts what the config describes; -1 in the file accepts any size.</summary>
    private static bool Fits(long[] expected, long[] actual, int batchAxis, int maxBatchSize, out string why)
    {
        why = "";
        if (expected.Length != actual.Length)
        {
            why = $"rank {actual.Length}, expected {expected.Length}";
            return false;
        }
        for (var k = 0; k < expected.Length; k++)
        {
            if (actual[k] < 0) continue;
            if (expected[k] >= 0 && expected[k] != actual[k])
            {
                why = $"axis {k} is {actual[k]}, expected {expected[k]}";
                return false;
            }
            if (k == batchAxis && maxBatchSize > 1 && actual[k] < maxBatchSize)
            {
                why = $"axis {k} is the batch axis but is fixed to {actual[k]}; batches of up to {maxBatchSize} need it dynamic";
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// Same rank and no axis where both shapes are fixed and differ. Model files often leave an
    /// output's dims symbolic (Silero's stateN is [-1, -1, -1] to ONNX Runtime), so -1 on either
    /// side matches; an output of unknown rank (empty shape) is not checked.
    /// </summary>
    private static bool ShapesCompatible(long[] input, long[] output)
    {
        if (output.Length == 0) return true;
        if (input.Length != output.Length) return false;
        for (var k = 0; k < input.Length; k++)
        {
            if (input[k] >= 0 && output[k] >= 0 && input[k] != output[k]) return false;
        }
        return true;
    }

    private static Dictionary<string, ModelFileTensor> ByName(IReadOnlyList<ModelFileTensor> tensors)
    {
        var d = new Dictionary<string, ModelFileTensor>(StringComparer.Ordinal);
        foreach (var t in tensors) d.TryAdd(t.Name, t);
        return d;
    }

    private static string Names(IEnumerable<ModelFileTensor> tensors)
    {
        var names = tensors.Select(t => $"\"{t.Name}\"").ToList();
        return names.Count == 0 ? "(none)" : string.Join(", ", names);
    }
}
