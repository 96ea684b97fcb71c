using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Config;

/// <summary>
/// Triton's auto-complete of a model config from its model file (the ONNX Runtime backend's,
/// which Triton runs unless --strict-model-config / --disable-auto-complete-config): a config
/// that declares no input and no output gets them from the model file. A load request's
/// override config such as <c>{"max_batch_size": 16}</c> relies on it. Inputs fed otherwise
/// (state pairs, control inputs, constant inputs) and state outputs are left out; with
/// max_batch_size &gt; 0 the model's first dimension is the batch dimension and not part of dims.
/// </summary>
public static class ConfigAutoComplete
{
    /// <summary>Fills <paramref name="config"/>'s inputs and outputs from <paramref name="signature"/> when it has none; true when it did.</summary>
    public static bool Complete(ModelConfig config, StatefulParameters parameters, ModelFileSignature signature)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(signature);
        if (config.Input.Count > 0 || config.Output.Count > 0) return false;
        var fedOtherwise = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in parameters.StatePairs) fedOtherwise.Add(s.InputName);
        foreach (var c in parameters.ConstantInputs) fedOtherwise.Add(c.Name);
        foreach (var ci in config.SequenceBatching?.ControlInput ?? []) fedOtherwise.Add(ci.Name);
        var stateOutputs = parameters.StatePairs.Select(s => s.OutputName).ToHashSet(StringComparer.Ordinal);
        foreach (var t in signature.Inputs)
        {
            if (!fedOtherwise.Contains(t.Name)) config.Input.Add(new ModelInput { Name = t.Name, DataType = t.DataType.ToConfigType(), Dims = { Dims(config, t) } });
        }
        foreach (var t in signature.Outputs)
        {
            if (!stateOutputs.Contains(t.Name)) config.Output.Add(new ModelOutput { Name = t.Name, DataType = t.DataType.ToConfigType(), Dims = { Dims(config, t) } });
        }
        return config.Input.Count > 0 || config.Output.Count > 0;
    }

    private static IEnumerable<long> Dims(ModelConfig config, ModelFileTensor t) =>
        config.MaxBatchSize > 0 && t.Shape.Length > 0 ? t.Shape.Skip(1) : t.Shape;
}
