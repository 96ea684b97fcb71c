using System.Text.Json;
using OvStateful.Cli.Remote;
using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;

namespace OvStateful.Cli.Workloads;

/// <summary>
/// perf_analyzer's real input data (--input-data FILE.json, or a folder): data streams, each a
/// list of steps, each step every input's values. A JSON file holds <c>{"data": [...]}</c>
/// whose entries are steps (one stream) or lists of steps (one stream per sequence model
/// sequence); a tensor is a flat (or nested) array in row-major order, <c>{"b64": "..."}</c>
/// (raw little-endian bytes), or <c>{"content": ..., "shape": [...]}</c> with the shape of one
/// request without its batch dimension. A folder holds one raw binary file per input, named as
/// the input: one step used for every step. Everything is checked against the model's inputs
/// here, with the file and step named, before any load is sent.
/// </summary>
internal static class InputData
{
    /// <summary>The streams of every path in turn (perf_analyzer appends the streams of several files).</summary>
    public static List<IReadOnlyList<IReadOnlyList<Tensor>>> Load(IReadOnlyList<string> paths, IReadOnlyList<TensorSpec> inputs)
    {
        var streams = new List<IReadOnlyList<IReadOnlyList<Tensor>>>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path)) streams.Add([FromFolder(path, inputs)]);
            else if (File.Exists(path)) streams.AddRange(FromJson(path, File.ReadAllText(path), inputs));
            else throw new UsageException($"--input-data {path}: no such file or folder (expected zero, random, a JSON file or a folder of raw input files)");
        }
        return streams;
    }

    private static IReadOnlyList<Tensor> FromFolder(string folder, IReadOnlyList<TensorSpec> inputs)
    {
        var step = new List<Tensor>();
        foreach (var spec in inputs)
        {
            var file = Path.Combine(folder, spec.Name);
            if (!File.Exists(file)) throw new UsageException($"--input-data {folder}: no file \"{spec.Name}\" for input {spec.Name} (one raw binary file per input, named as the input)");
            var bytes = File.ReadAllBytes(file);
            if (bytes.Length != spec.RequestBytes)
                throw new UsageException($"--input-data {file}: {bytes.Length} bytes, but input {spec.Name} ({spec.DataType.WireName()} [{string.Join(",", spec.RequestShape)}]) takes {spec.RequestBytes}");
            step.Add(new Tensor(spec.Name, spec.DataType, (long[])spec.RequestShape.Clone(), bytes));
        }
        return step;
    }

    public static List<IReadOnlyList<IReadOnlyList<Tensor>>> FromJson(string file, string json, IReadOnlyList<TensorSpec> inputs)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new UsageException($"--input-data {file}: not valid JSON: {e.Message}");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array || data.GetArrayLength() == 0)
                throw new UsageException($"--input-data {file}: expected {{\"data\": [...]}} with at least one step (perf_analyzer's input data format)");
            var streams = new List<IReadOnlyList<IReadOnlyList<Tensor>>>();
            var nested = data[0].ValueKind == JsonValueKind.Array;
            if (!nested) streams.Add(Steps(file, "", data, inputs));
            else
            {
                var i = 0;
                foreach (var stream in data.EnumerateArray())
                {
                    if (stream.ValueKind != JsonValueKind.Array || stream.GetArrayLength() == 0)
                        throw new UsageException($"--input-data {file}: data[{i}] is not a list of steps (either every entry of \"data\" is a step or every one is a list of steps)");
                    streams.Add(Steps(file, $"[{i}]", stream, inputs));
                    i++;
                }
            }
            return streams;
        }
    }

    private static List<IReadOnlyList<Tensor>> Steps(string file, string prefix, JsonElement array, IReadOnlyList<TensorSpec> inputs)
    {
        var steps = new List<IReadOnlyList<Tensor>>();
        var k = 0;
        foreach (var step in array.EnumerateArray())
        {
            var where = $"--input-data {file}: data{prefix}[{k}]";
            if (step.ValueKind != JsonValueKind.Object) throw new UsageException($"{where} is not an object of input tensors");
            foreach (var p in step.EnumerateObject())
            {
                if (!inputs.Any(i => i.Name == p.Name))
                    throw new UsageException($"{where} has \"{p.Name}\", which is not an input of the model; its inputs: {string.Join(", ", inputs.Select(i => i.Name))}");
            }
            var tensors = new List<Tensor>(inputs.Count);
            foreach (var spec in inputs)
            {
                if (!step.TryGetProperty(spec.Name, out var value))
                    throw new UsageException($"{where} has no \"{spec.Name}\"; every step needs every input ({string.Join(", ", inputs.Select(i => i.Name))})");
                tensors.Add(Tensor($"{where}.{spec.Name}", spec, value));
            }
            steps.Add(tensors);
            k++;
        }
        return steps;
    }

    private static Tensor Tensor(string where, TensorSpec spec, JsonElement value)
    {
        var shape = (long[])spec.RequestShape.Clone();
        var content = value;
        if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("content", out var c))
        {
            content = c;
            if (value.TryGetProperty("shape", out var s))
            {
                var given = s.EnumerateArray().Select(d => d.GetInt64()).ToArray();
                // perf_analyzer's shape leaves out the batch dimension of a batching model.
                shape = given.Length == spec.RequestShape.Length - 1 ? [spec.RequestShape[0], .. given]
                    : given.Length == spec.RequestShape.Length ? given
                    : throw new UsageException($"{where}: shape [{string.Join(",", given)}] does not fit input {spec.Name} [{string.Join(",", spec.RequestShape)}]");
            }
        }
        var elements = shape.Aggregate(1L, (a, d) => a * d);
        var size = spec.DataType.ByteSize();
        byte[] bytes;
        if (content.ValueKind == JsonValueKind.Object && content.TryGetProperty("b64", out var b64))
        {
            try
            {
                bytes = Convert.FromBase64String(b64.GetString() ?? "");
            }
            catch (FormatException)
            {
                throw new UsageException($"{where}: \"b64\" is not base64");
            }
            if (bytes.Length != elements * size) throw new UsageException($"{where}: {bytes.Length} bytes of base64 data, expected {elements * size} ({elements} × {spec.DataType.WireName()})");
        }
        else if (content.ValueKind == JsonValueKind.Array)
        {
            var values = new List<JsonElement>();
            Flatten(content, values);
            if (values.Count != elements)
                throw new UsageException($"{where}: {values.Count} values, expected {elements} for {spec.DataType.WireName()} [{string.Join(",", shape)}] (row-major, one request)");
            bytes = new byte[elements * size];
            for (var i = 0; i < values.Count; i++) Encode(where, spec.DataType, values[i], bytes.AsSpan(i * size, size));
        }
        else
        {
            throw new UsageException($"{where}: expected an array of values, {{\"b64\": ...}} or {{\"content\": ..., \"shape\": [...]}}");
        }
        return new Tensor(spec.Name, spec.DataType, shape, bytes);
    }

    private static void Flatten(JsonElement e, List<JsonElement> into)
    {
        if (e.ValueKind != JsonValueKind.Array)
        {
            into.Add(e);
            return;
        }
        foreach (var x in e.EnumerateArray()) Flatten(x, into);
    }

    private static void Encode(string where, DataType type, JsonElement v, Span<byte> to)
    {
        try
        {
            if (!JsonTensors.TryReadElement(v, type, to)) throw new UsageException($"{where}: {type.WireName()} inputs are not supported in input data");
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException)
        {
            throw new UsageException($"{where}: {v.GetRawText()} is not a {type.WireName()} value");
        }
    }
}

/// <summary>
/// Steps from perf_analyzer's input data: sequence s plays stream s mod M (streams handed out
/// round-robin), its steps in order; with a length given (--sequence-length), the stream's
/// steps loop round-robin up to that length (with its variation), else a sequence is as long as
/// its stream.
/// </summary>
internal sealed class InputDataSteps(IReadOnlyList<IReadOnlyList<IReadOnlyList<Tensor>>> streams, int sequences, SequenceLengths? lengths, string description) : IStepSource
{
    public int SequenceCount => sequences;
    public int StepsOf(int sequence) => lengths?.Of(sequence) ?? streams[sequence % streams.Count].Count;

    public IReadOnlyList<Tensor> Step(int sequence, int step)
    {
        var stream = streams[sequence % streams.Count];
        return stream[step % stream.Count];
    }

    public string Description => description;
}
