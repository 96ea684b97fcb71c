using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using OvStateful.Core.Engines;
using OvStateful.Core.Serving;

namespace OvStateful.Server.Http;

/// <summary>
/// A served model's input and output names as UTF-8, so the header parser matches a request's
/// names against them byte-wise and takes the model's own strings (no string per request).
/// Made once per model version and kept as long as the model object lives.
/// </summary>
internal sealed class TensorNames
{
    private static readonly ConditionalWeakTable<IServedModel, TensorNames> ByModel = new();

    /// <summary>Parallel to <see cref="IServedModel.Inputs"/> / <see cref="IServedModel.Outputs"/>.</summary>
    private readonly byte[][] _inputs, _outputs;
    private readonly IReadOnlyList<TensorSpec> _inputSpecs, _outputSpecs;

    private TensorNames(IServedModel model)
    {
        _inputSpecs = model.Inputs;
        _outputSpecs = model.Outputs;
        _inputs = _inputSpecs.Select(s => Encoding.UTF8.GetBytes(s.Name)).ToArray();
        _outputs = _outputSpecs.Select(s => Encoding.UTF8.GetBytes(s.Name)).ToArray();
    }

    public static TensorNames Of(IServedModel model) => ByModel.GetValue(model, static m => new TensorNames(m));

    /// <summary>The model input the reader's current string names, or null.</summary>
    public TensorSpec? Input(ref Utf8JsonReader reader) => Find(ref reader, _inputs, _inputSpecs);

    /// <summary>The model output the reader's current string names, or null.</summary>
    public TensorSpec? Output(ref Utf8JsonReader reader) => Find(ref reader, _outputs, _outputSpecs);

    private static TensorSpec? Find(ref Utf8JsonReader reader, byte[][] names, IReadOnlyList<TensorSpec> specs)
    {
        for (var i = 0; i < names.Length; i++)
        {
            if (reader.ValueTextEquals(names[i])) return specs[i];
        }
        return null;
    }
}
