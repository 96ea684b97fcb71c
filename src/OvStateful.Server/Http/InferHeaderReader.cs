using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using OvStateful.Core.Engines;
using OvStateful.Core.Serving;
using OvStateful.Core.Tensors;
using OvStateful.Server.Protocol;
using OvStateful.Server.SharedMemory;

namespace OvStateful.Server.Http;

/// <summary>
/// Parses a KServe v2 REST inference header straight from the body's bytes with
/// <see cref="Utf8JsonReader"/>: no DOM, no strings for names the model knows, "data" values
/// only located here (decoded later, once datatype and shape are known, by
/// <see cref="JsonTensorData"/>). Every error is one <see cref="InferenceException"/>
/// (InvalidArgument) naming the field; a body that is not JSON at all is reported as such
/// even when a field before the syntax error was wrong, as a DOM parser would.
/// </summary>
internal static class InferHeaderReader
{
    private static readonly JsonReaderOptions Options = new() { MaxDepth = 64 };

    /// <summary>Whose parameter a message is about: the request's (Kind null), or input/output Name's. Formatted only on the error path.</summary>
    private readonly record struct Owner(string? Kind, string? Name)
    {
        public static readonly Owner Request = default;

        public override string ToString() => Kind is null ? "" : $"{Kind} '{Name}' ";
    }

    /// <summary>The KServe datatype names as UTF-8, indexed by <see cref="DataType"/>.</summary>
    private static readonly byte[][] DatatypeNames =
        Enum.GetValues<DataType>().Select(t => t == DataType.Invalid ? [] : Encoding.UTF8.GetBytes(t.WireName())).ToArray();

    public static void Read(ReadOnlySpan<byte> json, TensorNames names, InferHeader into)
    {
        try
        {
            var r = new Utf8JsonReader(json, Options);
            ReadRoot(ref r, json, names, into);
        }
        catch (JsonException e)
        {
            throw NotJson(e);
        }
        catch (InferenceException) when (SyntaxError(json) is { } syntax)
        {
            throw syntax;
        }
        // The reader does not check the encoding of strings it only skips or compares: check the whole header once (vectorised, ~GB/s).
        if (!Utf8.IsValid(json)) throw InvalidUtf8(json, into);
    }

    private static void ReadRoot(ref Utf8JsonReader r, ReadOnlySpan<byte> json, TensorNames names, InferHeader into)
    {
        if (!r.Read() || r.TokenType != JsonTokenType.StartObject) throw ServerErrors.Invalid("request body must be a JSON object with 'inputs'");
        var sawInputs = false;
        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("id"u8))
            {
                r.Read();
                if (r.TokenType != JsonTokenType.String) throw ServerErrors.Invalid("'id' must be a string");
                into.Id = Text(ref r, "'id'");
            }
            else if (r.ValueTextEquals("parameters"u8))
            {
                r.Read();
                if (r.TokenType != JsonTokenType.StartObject) throw ServerErrors.Invalid("'parameters' must be a JSON object");
                ReadRequestParameters(ref r, json, into);
            }
            else if (r.ValueTextEquals("inputs"u8))
            {
                r.Read();
                if (r.TokenType != JsonTokenType.StartArray) throw NoInputs();
                into.Inputs.Clear();
                for (var index = 0; Next(ref r) != JsonTokenType.EndArray; index++)
                {
                    if (r.TokenType != JsonTokenType.StartObject)
                        throw ServerErrors.Invalid($"inputs[{index}] is {Kind(r.TokenType)}; expected an object {{name, shape, datatype, data}}");
                    into.Inputs.Add(ReadInput(ref r, json, names, into, index));
                }
                sawInputs = true;
            }
            else if (r.ValueTextEquals("outputs"u8))
            {
                r.Read();
                if (r.TokenType != JsonTokenType.StartArray) throw ServerErrors.Invalid("'outputs' must be an array of {name, parameters}");
                into.Outputs.Clear();
                for (var index = 0; Next(ref r) != JsonTokenType.EndArray; index++)
                {
                    if (r.TokenType != JsonTokenType.StartObject)
                        throw ServerErrors.Invalid($"outputs[{index}] is {Kind(r.TokenType)}; expected an object with 'name' (and optional 'parameters')");
                    into.Outputs.Add(ReadOutput(ref r, json, names));
                }
            }
            else
            {
                r.Skip();
            }
        }
        // Anything after the object but whitespace makes the reader throw (one JSON value per body).
        if (r.Read()) throw ServerErrors.Invalid("request body holds more than one JSON value");
        if (!sawInputs) throw NoInputs();
    }

    private static void ReadRequestParameters(ref Utf8JsonReader r, ReadOnlySpan<byte> json, InferHeader into)
    {
        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals(SequenceParameters.SequenceId))
            {
                r.Read();
                into.SequenceId = r.TokenType switch
                {
                    JsonTokenType.Number => ulong.TryParse(r.ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                        ? SequenceParameters.FromUInt64(n)
                        : SequenceParameters.FromJsonNumber(Encoding.UTF8.GetString(r.ValueSpan)), // throws, naming the value
                    JsonTokenType.String => SequenceParameters.FromString(Text(ref r, "parameter 'sequence_id'")),
                    _ => throw ServerErrors.Invalid($"parameter 'sequence_id' is {Kind(r.TokenType)}; expected an unsigned 64-bit number or a string"),
                };
            }
            else if (r.ValueTextEquals(SequenceParameters.SequenceStart)) into.SequenceStart = Bool(ref r, json, Owner.Request, SequenceParameters.SequenceStart);
            else if (r.ValueTextEquals(SequenceParameters.SequenceEnd)) into.SequenceEnd = Bool(ref r, json, Owner.Request, SequenceParameters.SequenceEnd);
            else if (r.ValueTextEquals("binary_data_output"u8)) into.BinaryDataOutput = Bool(ref r, json, Owner.Request, "binary_data_output");
            else r.Skip();
        }
    }

    private static InputHeader ReadInput(ref Utf8JsonReader r, ReadOnlySpan<byte> json, TensorNames names, InferHeader into, int index)
    {
        // The name first, wherever it stands in the object, so that every later error names the input.
        var peek = r;
        var name = FindName(ref peek, names, index, out var spec)
            ?? throw ServerErrors.Invalid($"inputs[{index}] needs 'name' as a string");
        var e = new InputHeader { Name = name, BinarySize = -1 };
        bool hasType = false, hasShape = false;
        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("datatype"u8))
            {
                r.Read();
                if (r.TokenType != JsonTokenType.String) throw NoDatatype(name);
                e.DataType = Datatype(ref r, name);
                hasType = true;
            }
            else if (r.ValueTextEquals("shape"u8))
            {
                r.Read();
                if (r.TokenType != JsonTokenType.StartArray) throw NoShape(name);
                into.Dims.Clear();
                while (Next(ref r) != JsonTokenType.EndArray)
                {
                    if (r.TokenType != JsonTokenType.Number || !r.TryGetInt64(out var dim))
                        throw ServerErrors.Invalid($"input '{name}' 'shape' holds {Raw(ref r, json)}; dimensions must be whole numbers");
                    into.Dims.Add(dim);
                }
                hasShape = true;
            }
            else if (r.ValueTextEquals("parameters"u8))
            {
                r.Read();
                if (r.TokenType == JsonTokenType.StartObject) ReadInputParameters(ref r, json, ref e);
                else r.Skip();
            }
            else if (r.ValueTextEquals("data"u8))
            {
                r.Read();
                e.DataStart = checked((int)r.TokenStartIndex);
                r.Skip();
                e.DataLength = checked((int)r.BytesConsumed) - e.DataStart;
            }
            else
            {
                r.Skip(); // "name" (read above) and anything unknown
            }
        }
        if (!hasType) throw NoDatatype(name);
        if (!hasShape) throw NoShape(name);
        e.Shape = spec is not null && spec.RequestShape.AsSpan().SequenceEqual(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(into.Dims))
            ? spec.RequestShape
            : into.Dims.ToArray();
        return e;
    }

    private static void ReadInputParameters(ref Utf8JsonReader r, ReadOnlySpan<byte> json, ref InputHeader e)
    {
        string? region = null;
        ulong byteSize = 0, offset = 0;
        var owner = new Owner("input", e.Name);
        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            if (r.ValueTextEquals("binary_data_size"u8)) e.BinarySize = ByteCount(ref r, json, owner, "binary_data_size");
            else if (ReadSharedMemoryParameter(ref r, json, owner, ref region, ref byteSize, ref offset)) { }
            else r.Skip();
        }
        if (region is not null) e.SharedMemory = new SharedMemoryPlace(region, offset, byteSize);
    }

    private static OutputHeader ReadOutput(ref Utf8JsonReader r, ReadOnlySpan<byte> json, TensorNames names)
    {
        var peek = r;
        var name = FindName(ref peek, names, -1, out _) ?? throw ServerErrors.Invalid("outputs[] needs 'name' as a string");
        var o = new OutputHeader { Name = name };
        var owner = new Owner("output", name);
        while (Next(ref r) == JsonTokenType.PropertyName)
        {
            if (!r.ValueTextEquals("parameters"u8))
            {
                r.Skip();
                continue;
            }
            r.Read();
            if (r.TokenType != JsonTokenType.StartObject)
            {
                r.Skip();
                continue;
            }
            string? region = null;
            ulong byteSize = 0, offset = 0;
            while (Next(ref r) == JsonTokenType.PropertyName)
            {
                if (r.ValueTextEquals("binary_data"u8)) o.Binary = Bool(ref r, json, owner, "binary_data");
                else if (r.ValueTextEquals("classification"u8))
                    throw ServerErrors.Invalid($"output '{name}' asks for classification, which this server does not offer");
                else if (ReadSharedMemoryParameter(ref r, json, owner, ref region, ref byteSize, ref offset)) { }
                else r.Skip();
            }
            if (region is not null) o.SharedMemory = new SharedMemoryPlace(region, offset, byteSize);
        }
        return o;
    }

    /// <summary>Reads one of the shared_memory_* parameters when the reader is on its name; false for any other parameter.</summary>
    private static bool ReadSharedMemoryParameter(ref Utf8JsonReader r, ReadOnlySpan<byte> json, Owner tensor, ref string? region, ref ulong byteSize, ref ulong offset)
    {
        if (r.ValueTextEquals("shared_memory_region"u8))
        {
            r.Read();
            if (r.TokenType != JsonTokenType.String)
                throw ServerErrors.Invalid($"Unable to parse 'shared_memory_region' of tensor '{tensor.Name}': expected the region's name as a string, got {Raw(ref r, json)}");
            try
            {
                region = r.GetString()!;
            }
            catch (InvalidOperationException)
            {
                throw ServerErrors.Invalid($"Unable to parse 'shared_memory_region' of tensor '{tensor.Name}': not valid Unicode text; JSON strings must be UTF-8 without lone surrogates");
            }
            return true;
        }
        if (r.ValueTextEquals("shared_memory_byte_size"u8))
        {
            byteSize = SharedMemoryByteCount(ref r, json, tensor, "shared_memory_byte_size");
            return true;
        }
        if (r.ValueTextEquals("shared_memory_offset"u8))
        {
            offset = SharedMemoryByteCount(ref r, json, tensor, "shared_memory_offset");
            return true;
        }
        return false;
    }

    /// <summary>
    /// Scans the object the reader (a copy) stands at for its "name" string: the model's own
    /// string when it is one of the model's tensors, else the request's text; null when there is
    /// no string "name".
    /// </summary>
    /// <param name="index">The input's index in "inputs"; -1 for an output.</param>
    private static string? FindName(ref Utf8JsonReader peek, TensorNames names, int index, out TensorSpec? spec)
    {
        spec = null;
        while (Next(ref peek) == JsonTokenType.PropertyName)
        {
            if (!peek.ValueTextEquals("name"u8))
            {
                peek.Skip();
                continue;
            }
            peek.Read();
            if (peek.TokenType != JsonTokenType.String) return null;
            spec = index >= 0 ? names.Input(ref peek) : names.Output(ref peek);
            return spec?.Name ?? Text(ref peek, index >= 0 ? $"inputs[{index}] 'name'" : "outputs[] 'name'");
        }
        return null;
    }

    private static DataType Datatype(ref Utf8JsonReader r, string input)
    {
        for (var t = 1; t < DatatypeNames.Length; t++)
        {
            if (r.ValueTextEquals(DatatypeNames[t])) return (DataType)t;
        }
        return TensorBytes.ParseDatatype(input, Text(ref r, $"input '{input}' 'datatype'")); // throws, listing the valid names
    }

    private static long ByteCount(ref Utf8JsonReader r, ReadOnlySpan<byte> json, Owner tensor, string parameter)
    {
        r.Read();
        return r.TokenType == JsonTokenType.Number && r.TryGetInt64(out var n) && n >= 0
            ? n
            : throw ServerErrors.Invalid($"{tensor}parameter '{parameter}' is {Raw(ref r, json)}; expected a byte count >= 0");
    }

    /// <summary>A shared_memory_offset or _byte_size; the message is the one gRPC gives (SharedMemoryTensors), after Triton's.</summary>
    private static ulong SharedMemoryByteCount(ref Utf8JsonReader r, ReadOnlySpan<byte> json, Owner tensor, string parameter)
    {
        r.Read();
        return r.TokenType == JsonTokenType.Number && r.TryGetUInt64(out var n)
            ? n
            : throw ServerErrors.Invalid($"Unable to parse '{parameter}' of tensor '{tensor.Name}': expected a byte count >= 0, got {Raw(ref r, json)}");
    }

    private static bool Bool(ref Utf8JsonReader r, ReadOnlySpan<byte> json, Owner owner, string parameter)
    {
        r.Read();
        return r.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            _ => throw ServerErrors.Invalid($"{owner}parameter '{parameter}' is {Raw(ref r, json)}; expected true or false"),
        };
    }

    private static JsonTokenType Next(ref Utf8JsonReader r)
    {
        r.Read();
        return r.TokenType;
    }

    /// <summary>The current string's text; invalid UTF-8 or a lone surrogate escape is the client's error, naming <paramref name="what"/>.</summary>
    public static string Text(ref Utf8JsonReader r, string what)
    {
        try
        {
            return r.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw ServerErrors.Invalid($"{what} is not valid Unicode text ({e.Message}); JSON strings must be UTF-8 without lone surrogates");
        }
    }

    /// <summary>The current value's JSON text (a whole object or array when it starts one), cut at 100 characters, for messages.</summary>
    public static string Raw(ref Utf8JsonReader r, ReadOnlySpan<byte> json)
    {
        var start = (int)r.TokenStartIndex;
        if (r.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) r.Skip();
        var text = Encoding.UTF8.GetString(json[start..(int)r.BytesConsumed]);
        return text.Length > 100 ? text[..100] + "..." : text;
    }

    /// <summary>JsonValueKind's names for a value's first token, as the messages have always said them.</summary>
    public static string Kind(JsonTokenType t) => t switch
    {
        JsonTokenType.StartObject => "Object",
        JsonTokenType.StartArray => "Array",
        JsonTokenType.String => "String",
        JsonTokenType.Number => "Number",
        JsonTokenType.True => "True",
        JsonTokenType.False => "False",
        JsonTokenType.Null => "Null",
        _ => t.ToString(),
    };

    private static InferenceException NotJson(JsonException e) => ServerErrors.Invalid($"request body is not valid JSON: {e.Message}");

    private static InferenceException NoInputs() => ServerErrors.Invalid("request body needs 'inputs': an array of {name, shape, datatype, data}");

    private static InferenceException NoDatatype(string input) => ServerErrors.Invalid($"input '{input}' needs 'datatype' as a string");

    private static InferenceException NoShape(string input) => ServerErrors.Invalid($"input '{input}' needs 'shape': an array of dimensions");

    /// <summary>The syntax error of a header that is not JSON, or null when it is (only on the error path: a second pass).</summary>
    private static InferenceException? SyntaxError(ReadOnlySpan<byte> json)
    {
        try
        {
            var r = new Utf8JsonReader(json, Options);
            while (r.Read()) { }
            return null;
        }
        catch (JsonException e)
        {
            return NotJson(e);
        }
    }

    /// <summary>Where the header's UTF-8 first breaks, naming the input whose "data" holds it when one does.</summary>
    private static InferenceException InvalidUtf8(ReadOnlySpan<byte> json, InferHeader header)
    {
        var at = 0;
        while (at < json.Length && System.Text.Rune.DecodeFromUtf8(json[at..], out _, out var consumed) == System.Buffers.OperationStatus.Done) at += consumed;
        foreach (var input in header.Inputs)
        {
            if (at >= input.DataStart && at < input.DataStart + input.DataLength)
                return ServerErrors.Invalid($"input '{input.Name}' 'data' holds bytes that are not valid UTF-8 (at byte {at} of the JSON header); JSON text must be UTF-8");
        }
        return ServerErrors.Invalid($"request body is not valid JSON: the bytes at {at} are not valid UTF-8");
    }
}
