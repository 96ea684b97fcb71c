using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.Sequences;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Serving;

/// <summary>
/// The one check of a request against the model it names, done once before the step is queued
/// so that a bad request fails alone, with one message naming what is wrong and what was
/// expected, and no sequence state changes: the sequence id (a sequence model needs one, of the
/// CORRID control's type), every input (name, no duplicates, datatype, shape, byte count; an
/// input the config marks optional may be left out) and the requested outputs. The batcher binds
/// the input bytes in model order as it checks them (allocation-free on success); engines only
/// assert what was checked here.
/// </summary>
public sealed class RequestValidator
{
    private readonly string _model;
    private readonly IReadOnlyList<TensorSpec> _inputs;
    private readonly IReadOnlyList<TensorSpec> _outputs;
    /// <summary>Per input, whether the config marks it optional (then a request may leave it out).</summary>
    private readonly bool[] _optional;
    private readonly bool _sequenceModel;
    private readonly CorrelationIdKind _idKind;

    /// <param name="optionalInputs">Inputs a request may leave out; none when null.</param>
    public RequestValidator(string model, IReadOnlyList<TensorSpec> inputs, IReadOnlyList<TensorSpec> outputs,
        bool isSequenceModel, CorrelationIdKind idKind, IReadOnlySet<string>? optionalInputs = null)
    {
        _model = model;
        _inputs = inputs;
        _outputs = outputs;
        _optional = inputs.Select(s => optionalInputs?.Contains(s.Name) == true).ToArray();
        _sequenceModel = isSequenceModel;
        _idKind = idKind;
    }

    /// <summary>The validator a config implies: sequence model and id type from sequence_batching, optional inputs from input[].optional.</summary>
    public static RequestValidator ForConfig(IReadOnlyList<TensorSpec> inputs, IReadOnlyList<TensorSpec> outputs, ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var settings = SequenceBatcherSettings.FromConfig(config, "");
        var optional = config.Input.Where(i => i.Optional).Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        return new RequestValidator(config.Name, inputs, outputs, settings.IsSequenceModel, settings.CorrelationIdKind, optional);
    }

    /// <summary>Whether requests are steps of sequences (they need a sequence_id).</summary>
    public bool IsSequenceModel => _sequenceModel;

    /// <summary>For models that do not bind (test doubles of <see cref="IServedModel"/>): every check, failing with InvalidArgument.</summary>
    public void Validate(InferenceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        Span<bool> want = _outputs.Count <= 64 ? stackalloc bool[_outputs.Count] : new bool[_outputs.Count];
        var bound = new ReadOnlyMemory<byte>[_inputs.Count];
        var error = (_sequenceModel ? CheckSequenceId(request.SequenceId) : null) ?? Bind(request.Inputs, bound) ?? BindOutputs(request.RequestedOutputs, want);
        if (error is not null) throw new InferenceException(InferenceErrorKind.InvalidArgument, error);
    }

    /// <summary>Null when <paramref name="id"/> can name a sequence of this model, else why not.</summary>
    public string? CheckSequenceId(SequenceId id)
    {
        if (id.IsNone)
        {
            return $"model '{_model}' is a sequence model: parameter 'sequence_id' is required on every request (a nonzero sequence_id: an unsigned 64-bit number or a non-empty string; got {(id.IsString ? "an empty string" : "0")})";
        }
        return _idKind switch
        {
            CorrelationIdKind.UInt64 when id.IsString =>
                $"model '{_model}' takes uint64 sequence ids (CONTROL_SEQUENCE_CORRID data_type TYPE_UINT64): parameter 'sequence_id' must be an unsigned 64-bit number; got the string id {id}",
            CorrelationIdKind.String when !id.IsString =>
                $"model '{_model}' takes string sequence ids (CONTROL_SEQUENCE_CORRID data_type TYPE_STRING): parameter 'sequence_id' must be a string; got the uint64 id {id}",
            _ => null,
        };
    }

    /// <summary>
    /// Checks the inputs and puts each one's bytes at its model position in <paramref name="bound"/>
    /// (a left-out optional input stays empty). Returns null on success, else the one message
    /// saying what is wrong and what was expected.
    /// </summary>
    public string? Bind(IReadOnlyList<Tensor>? requestInputs, Span<ReadOnlyMemory<byte>> bound)
    {
        if (requestInputs is null) return $"model '{_model}': the request has no inputs; expected {ExpectedInputs()}";
        bound.Clear();
        Span<bool> seen = _inputs.Count <= 64 ? stackalloc bool[_inputs.Count] : new bool[_inputs.Count];
        for (var r = 0; r < requestInputs.Count; r++)
        {
            var t = requestInputs[r];
            if (t is null) return $"model '{_model}': request input #{r} is null";
            var k = IndexOf(_inputs, t.Name);
            if (k < 0) return $"unexpected input '{t.Name}': model '{_model}' has no input '{t.Name}'; expected inputs: {ExpectedInputs()}";
            if (seen[k]) return $"model '{_model}': input '{t.Name}' is given more than once";
            seen[k] = true;
            var spec = _inputs[k];
            if (t.DataType != spec.DataType)
            {
                return $"input '{t.Name}' has datatype {t.DataType.WireName()}; model '{_model}' expects {spec.DataType.WireName()}";
            }
            if (t.Shape is null || !t.Shape.AsSpan().SequenceEqual(spec.RequestShape))
            {
                return $"input '{t.Name}' has shape {(t.Shape is null ? "(none)" : Shapes.Format(t.Shape))}; model '{_model}' expects {Shapes.Format(spec.RequestShape)}";
            }
            if (spec.DataType == DataType.String)
            {
                // BYTES tensors carry length-prefixed elements: their size is not fixed by the shape, their count is.
                var count = BytesElements.Count(t.Data.Span, out var malformed);
                var expected = Shapes.ElementCount(spec.RequestShape);
                if (count != expected)
                {
                    return malformed is not null
                        ? $"input '{t.Name}' for model '{_model}': its BYTES data is malformed ({malformed}); each element is a 4-byte little-endian length, then its bytes"
                        : $"input '{t.Name}' for model '{_model}' has {count} BYTES elements; its shape {Shapes.Format(spec.RequestShape)} needs {expected}";
                }
            }
            else if (t.Data.Length != spec.RequestBytes)
            {
                return $"input byte size mismatch for input '{t.Name}' for model '{_model}'. Expected {spec.RequestBytes}, got {t.Data.Length} ({Shapes.Format(spec.RequestShape)} x {spec.DataType.ByteSize()} bytes)";
            }
            bound[k] = t.Data;
        }
        for (var k = 0; k < _inputs.Count; k++)
        {
            if (!seen[k] && !_optional[k])
            {
                var s = _inputs[k];
                return $"model '{_model}': input '{s.Name}' is missing; expected {s.DataType.WireName()} {Shapes.Format(s.RequestShape)}";
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
            var k = IndexOf(_outputs, name);
            if (k < 0)
            {
                var names = new List<string>(_outputs.Count);
                foreach (var o in _outputs) names.Add("'" + o.Name + "'");
                return $"unknown output '{name}' requested: model '{_model}' has no output '{name}'; its outputs are {string.Join(", ", names)}";
            }
            want[k] = true;
        }
        return null;
    }

    private string ExpectedInputs()
    {
        var parts = new List<string>(_inputs.Count);
        foreach (var s in _inputs) parts.Add($"'{s.Name}' {s.DataType.WireName()} {Shapes.Format(s.RequestShape)}");
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
