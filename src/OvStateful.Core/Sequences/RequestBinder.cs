using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Sequences;

/// <summary>
/// Checks a request's inputs and requested outputs against the engine's specs before the
/// step is queued (so a bad request fails alone) and binds the input bytes in engine
/// order. Allocation-free on success.
/// </summary>
internal sealed class RequestBinder(string modelName, IReadOnlyList<TensorSpec> inputs, IReadOnlyList<TensorSpec> outputs)
{
    /// <summary>Returns null on success, else the one message saying what is wrong and what was expected.</summary>
    public string? Bind(IReadOnlyList<Tensor>? requestInputs, Span<ReadOnlyMemory<byte>> bound)
    {
        if (requestInputs is null) return $"model '{modelName}': the request has no inputs; expected {ExpectedInputs()}";
        bound.Clear();
        Span<bool> seen = inputs.Count <= 64 ? stackalloc bool[inputs.Count] : new bool[inputs.Count];
        for (var r = 0; r < requestInputs.Count; r++)
        {
            var t = requestInputs[r];
            if (t is null) return $"model '{modelName}': request input #{r} is null";
            var k = IndexOf(inputs, t.Name);
            if (k < 0) return $"model '{modelName}' has no input '{t.Name}'; expected {ExpectedInputs()}";
            if (seen[k]) return $"model '{modelName}': input '{t.Name}' is given more than once";
            seen[k] = true;
            var spec = inputs[k];
            if (t.DataType != spec.DataType)
            {
                return $"model '{modelName}': input '{t.Name}' has datatype {t.DataType.WireName()}; expected {spec.DataType.WireName()}";
            }
            if (t.Shape is null || !t.Shape.AsSpan().SequenceEqual(spec.RequestShape))
            {
                return $"model '{modelName}': input '{t.Name}' has shape {(t.Shape is null ? "(none)" : Shapes.Format(t.Shape))}; expected {Shapes.Format(spec.RequestShape)}";
            }
            if (t.Data.Length != spec.RequestBytes)
            {
                return $"model '{modelName}': input '{t.Name}' has {t.Data.Length} bytes of data; expected {spec.RequestBytes} ({Shapes.Format(spec.RequestShape)} x {spec.DataType.ByteSize()} bytes)";
            }
            bound[k] = t.Data;
        }
        for (var k = 0; k < inputs.Count; k++)
        {
            if (!seen[k])
            {
                var s = inputs[k];
                return $"model '{modelName}': input '{s.Name}' is missing; expected {s.DataType.WireName()} {Shapes.Format(s.RequestShape)}";
            }
        }
        return null;
    }

    /// <summary>Marks the outputs to return; null or empty = all. Returns null or the error.</summary>
    public string? BindOutputs(IReadOnlyList<string>? requested, Span<bool> want)
    {
        if (requested is null || requested.Count == 0)
        {
            want.Fill(true);
            return null;
        }
        want.Clear();
        foreach (var name in requested)
        {
            var k = IndexOf(outputs, name);
            if (k < 0)
            {
                var names = new List<string>(outputs.Count);
                foreach (var o in outputs) names.Add("'" + o.Name + "'");
                return $"model '{modelName}' has no output '{name}'; its outputs are {string.Join(", ", names)}";
            }
            want[k] = true;
        }
        return null;
    }

    private string ExpectedInputs()
    {
        var parts = new List<string>(inputs.Count);
        foreach (var s in inputs) parts.Add($"'{s.Name}' {s.DataType.WireName()} {Shapes.Format(s.RequestShape)}");
        return parts.Count == 0 ? "no inputs" : string.Join(", ", parts);
    }

    private static int IndexOf(IReadOnlyList<TensorSpec> specs, string? name)
    {
        for (var i = 0; i < specs.Count; i++)
        {
            if (string.Equals(specs[i].Name, name, StringComparison.Ordinal)) return i;
        }
        return -1;
    }
}
