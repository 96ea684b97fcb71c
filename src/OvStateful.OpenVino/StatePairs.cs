using OvStateful.Core.Config;
using ModelConfig = OvStateful.Protocol.Inference.ModelConfig;
using OvStateful.Core.Engines;

namespace OvStateful.OpenVino;

/// <summary>
/// State pairs by name, and how they meet OpenVINO variables: ov::pass::MakeStateful names the
/// variable of pair (In, Out) In + Out (concatenated); converters that name it after the
/// input alone are accepted too.
/// </summary>
internal static class StatePairs
{
    /// <summary>Pairs from the config (Core's reading: the state_pairs parameter, then sequence_batching.state).</summary>
    public static List<(string Input, string Output)> FromConfig(ModelConfig config) =>
        // Problems are ignored here: ModelPlan.Build reads the same parameters and reports them.
        StatefulParameters.Read(config, new List<ValidationProblem>()).StatePairs.Select(p => (p.InputName, p.OutputName)).ToList();

    /// <summary>Parses <c>&lt;&lt;&lt;In, Out&gt;&gt;&gt;</c> pairs with Core's parser; throws naming the bad part.</summary>
    public static List<(string Input, string Output)> Parse(string text)
    {
        if (!StatePairsText.TryParse(text, out var pairs, out var error)) throw new ArgumentException($"state pairs \"{text}\": {error}");
        if (pairs.Count == 0) throw new ArgumentException($"state pairs \"{text}\" hold no <<<InputName, OutputName>>> pair");
        return pairs;
    }

    /// <summary>The variable name MakeStateful gives the pair.</summary>
    public static string VariableName(string input, string output) => input + output;

    /// <summary>Index of the pair's variable in <paramref name="variables"/>, or -1.</summary>
    public static int FindVariable(IReadOnlyList<string> variables, string input, string output)
    {
        var made = VariableName(input, output);
        for (var i = 0; i < variables.Count; i++) if (variables[i] == made) return i;
        for (var i = 0; i < variables.Count; i++) if (variables[i] == input) return i;
        return -1;
    }

    /// <summary>Per state, its variable's index; throws one error naming every state without a variable.</summary>
    public static int[] MapStates(string model, IReadOnlyList<StateSpec> states, IReadOnlyList<string> variables)
    {
        var map = new int[states.Count];
        var missing = new List<string>();
        for (var s = 0; s < states.Count; s++)
        {
            map[s] = FindVariable(variables, states[s].InputName, states[s].OutputName);
            if (map[s] < 0) missing.Add($"<<<{states[s].InputName}, {states[s].OutputName}>>> (expected variable \"{VariableName(states[s].InputName, states[s].OutputName)}\")");
        }
        if (missing.Count > 0)
        {
            throw new EngineException($"model \"{model}\": no OpenVINO variable for state {string.Join(", ", missing)}; the compiled model has {(variables.Count == 0 ? "no variables" : string.Join(", ", variables.Select(v => $"\"{v}\"")))}");
        }
        return map;
    }

    /// <summary>
    /// For a model that is already stateful (an IR with ReadValue/Assign), adds each pair's input
    /// and output back to the signature with its variable's type and shape, so the config's
    /// pairs plan as they do for the ONNX file.
    /// </summary>
    public static ModelFileSignature WithVariables(ModelFileSignature signature, IReadOnlyList<(string Input, string Output)> pairs, IReadOnlyList<ModelFileTensor> variables)
    {
        var inputs = signature.Inputs.ToList();
        var outputs = signature.Outputs.ToList();
        var names = variables.Select(v => v.Name).ToArray();
        foreach (var (input, output) in pairs)
        {
            if (inputs.Any(i => i.Name == input)) continue;
            var v = FindVariable(names, input, output);
            if (v < 0) continue; // ModelPlan reports pairs that nothing feeds
            inputs.Add(new ModelFileTensor(input, variables[v].DataType, variables[v].Shape));
            outputs.Add(new ModelFileTensor(output, variables[v].DataType, variables[v].Shape));
        }
        return new ModelFileSignature(inputs, outputs);
    }
}
