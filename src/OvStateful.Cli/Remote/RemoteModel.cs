using System.Text.Json;
using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;

namespace OvStateful.Cli.Remote;

/// <summary>
/// A served model's inputs and outputs as its KServe v2 metadata gives them, turned into the
/// per-request shapes a client sends: every -1 (the batch dimension, the stateful backend's
/// batch axis) becomes 1, as Triton's sequence clients send one step per request.
/// </summary>
internal sealed record RemoteModel(string Name, IReadOnlyList<string> Versions, IReadOnlyList<TensorSpec> Inputs, IReadOnlyList<TensorSpec> Outputs)
{
    public static TensorSpec Spec(string model, string name, string datatype, IEnumerable<long> shape)
    {
        if (!DataTypes.TryParseWire(datatype, out var type))
            throw new UsageException($"model \"{model}\": tensor \"{name}\" has datatype \"{datatype}\", which this client does not know");
        if (type == DataType.String)
            throw new UsageException($"model \"{model}\": input \"{name}\" is BYTES; ovs bench sends numeric and BOOL tensors only");
        return new TensorSpec(name, type, shape.Select(d => d < 0 ? 1 : d).ToArray());
    }

    /// <summary>Parses GET /v2/models/{name}'s JSON body.</summary>
    public static RemoteModel FromJson(string model, string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        List<TensorSpec> Tensors(string property, bool inputs)
        {
            var list = new List<TensorSpec>();
            if (!root.TryGetProperty(property, out var array)) return list;
            foreach (var t in array.EnumerateArray())
            {
                var name = t.GetProperty("name").GetString()!;
                var datatype = t.GetProperty("datatype").GetString()!;
                var shape = t.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64());
                // Outputs are only read back, so a BYTES output needs no refusal.
                list.Add(!inputs && datatype == "BYTES" ? new TensorSpec(name, DataType.String, [1]) : Spec(model, name, datatype, shape));
            }
            return list;
        }
        var versions = root.TryGetProperty("versions", out var v) ? v.EnumerateArray().Select(e => e.GetString() ?? "").ToList() : [];
        return new RemoteModel(root.TryGetProperty("name", out var n) ? n.GetString() ?? model : model, versions, Tensors("inputs", true), Tensors("outputs", false));
    }
}
