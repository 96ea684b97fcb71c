using System.Text;
using System.Text.Json;
using OvStateful.Server.Protocol;

namespace OvStateful.Server.Http;

/// <summary>
/// Checks a JSON body's text before anything reads it: valid UTF-8, and no string or property
/// name whose escapes make a lone surrogate (<c>"\ud800"</c>), which .NET cannot turn into a
/// string and answered with 500. The error names where: the byte offset for bad UTF-8, the
/// JSON path (<c>inputs[0].name</c>) for a bad escape.
/// </summary>
internal static class JsonText
{
    public static void Check(ReadOnlySpan<byte> json, JsonReaderOptions options)
    {
        if (!System.Text.Unicode.Utf8.IsValid(json))
        {
            var at = FirstInvalidUtf8(json);
            throw ServerErrors.Invalid($"request body is not valid UTF-8 (byte {at} starts an invalid sequence); JSON text must be UTF-8");
        }
        var reader = new Utf8JsonReader(json, options);
        // Open containers, outermost first: whether an array (and its next element's index) and the step that names it.
        var frames = new List<(bool IsArray, int Next, string Step)>();
        string? property = null;
        string Here() => string.Concat(frames.Select(f => f.Step)).TrimStart('.');
        string NextStep()
        {
            if (frames.Count == 0) return "";
            var top = frames[^1];
            if (!top.IsArray) return "." + property;
            frames[^1] = top with { Next = top.Next + 1 };
            return $"[{top.Next}]";
        }
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        property = Text(ref reader, Here(), "a property name");
                        continue;
                    case JsonTokenType.StartObject:
                    case JsonTokenType.StartArray:
                        frames.Add((reader.TokenType == JsonTokenType.StartArray, 0, NextStep()));
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        break;
                    case JsonTokenType.String:
                        var step = NextStep();
                        if (reader.ValueIsEscaped) Text(ref reader, (Here() + step).TrimStart('.'), "the string");
                        break;
                    default:
                        NextStep();
                        break;
                }
                property = null;
            }
        }
        catch (JsonException)
        {
            // Malformed JSON is the parser's to report, with its position.
        }
    }

    private static string Text(ref Utf8JsonReader reader, string where, string what)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw ServerErrors.Invalid($"{what} at {(where.Length == 0 ? "the top level" : where)} holds an escape that is no Unicode text (a lone UTF-16 surrogate such as \\ud800); expected a valid string");
        }
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        var decoder = new UTF8Encoding(false, true);
        for (var lo = 0; lo < bytes.Length;)
        {
            // Grow a window until it decodes; the first window that never does starts at the bad byte.
            var ok = false;
            for (var n = 1; n <= 4 && lo + n <= bytes.Length; n++)
            {
                try { decoder.GetCharCount(bytes.Slice(lo, n)); lo += n; ok = true; break; }
                catch (DecoderFallbackException) { }
            }
            if (!ok) return lo;
        }
        return bytes.Length;
    }
}
