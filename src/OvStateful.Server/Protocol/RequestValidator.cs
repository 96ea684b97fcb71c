using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using Proto = OvStateful.Protocol.Inference;

namespace OvStateful.Server.Protocol;

/// <summary>
/// Checks a decoded request against the model it names before the model sees it, so bad
/// input fails alone with a message naming the field, and no sequence state changes.
/// Byte counts were already checked while decoding (shape × element size = data length).
/// </summary>
internal static class RequestValidator
{
    public static void Validate(IServedModel model, InferenceRequest request)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tensor in request.Inputs)
        {
            if (!seen.Add(tensor.Name))
                throw ServerErrors.Invalid($"input '{tensor.Name}' appears more than once in the request to model '{model.Name}'");
            var spec = Find(model.Inputs, tensor.Name)
                ?? throw ServerErrors.Invalid($"unexpected input '{tensor.Name}' for model '{model.Name}'; expected inputs: {Names(model.Inputs)}");
            if (tensor.DataType != spec.DataType)
                throw ServerErrors.Invalid($"input '{tensor.Name}' has datatype {tensor.DataType.WireName()}; model '{model.Name}' expects {spec.DataType.WireName()}");
            if (!Shapes.SequenceEqual(tensor.Shape, spec.RequestShape))
                throw ServerErrors.Invalid($"input '{tensor.Name}' has shape {Shapes.Format(tensor.Shape)}; model '{model.Name}' expects {Shapes.Format(spec.RequestShape)}");
        }

        foreach (var spec in model.Inputs)
        {
            if (!seen.Contains(spec.Name) && !IsOptional(model.Config, spec.Name))
                throw ServerErrors.Invalid($"input '{spec.Name}' is missing from the request to model '{model.Name}'; expected inputs: {Names(model.Inputs)}");
        }

        if (request.RequestedOutputs is { } outputs)
        {
            foreach (var name in outputs)
            {
                if (Find(model.Outputs, name) is null)
                    throw ServerErrors.Invalid($"unknown output '{name}' requested from model '{model.Name}'; outputs: {Names(model.Outputs)}");
            }
        }

        if (model.Config.SequenceBatching is { } sequencing)
        {
            if (request.SequenceId.IsNone)
                throw ServerErrors.Invalid($"model '{model.Name}' is a sequence model: parameter 'sequence_id' is required (a non-zero unsigned 64-bit number or a non-empty string)");
            var wantsString = CorrelationIdIsString(sequencing);
            if (wantsString is bool s && s != request.SequenceId.IsString)
                throw ServerErrors.Invalid($"parameter 'sequence_id' of model '{model.Name}' must be a {(s ? "string" : "unsigned 64-bit number")} (CONTROL_SEQUENCE_CORRID data_type {(s ? "TYPE_STRING" : "TYPE_UINT64")}); got {request.SequenceId}");
        }
    }

    /// <summary>True/false when the config declares a CORRID control of string/number type; null when it declares none.</summary>
    private static bool? CorrelationIdIsString(Proto.ModelSequenceBatching sequencing)
    {
        foreach (var input in sequencing.ControlInput)
        {
            foreach (var control in input.Control)
            {
                if (control.Kind.ToControlKind() == ControlKind.SequenceCorrid) return control.DataType == Proto.DataType.TypeString;
            }
        }
        return null;
    }

    private static bool IsOptional(Proto.ModelConfig config, string name) =>
        config.Input.Any(i => i.Optional && string.Equals(i.Name, name, StringComparison.Ordinal));

    private static TensorSpec? Find(IReadOnlyList<TensorSpec> specs, string name)
    {
        foreach (var s in specs)
        {
            if (string.Equals(s.Name, name, StringComparison.Ordinal)) return s;
        }
        return null;
    }

    private static string Names(IReadOnlyList<TensorSpec> specs) =>
        string.Join(", ", specs.Select(s => $"{s.Name} {s.DataType.WireName()} {Shapes.Format(s.RequestShape)}"));
}
