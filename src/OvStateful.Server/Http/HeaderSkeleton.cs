using OvStateful.Core.Serving;

namespace OvStateful.Server.Http;

/// <summary>
/// Reads a REST inference header whose "data" values are arrays of plain numbers (JSON tensors,
/// hundreds of numbers a step) without tokenising them twice: the header reader needs only each
/// value's extent (<see cref="JsonTensorData"/> decodes it later), so it reads a skeleton, the
/// header with each such array cut down to <c>[]</c>, and the cut arrays' places are put back
/// into the inputs. An array is cut only when it is valid JSON (brackets, commas, whitespace and
/// numbers in JSON's grammar, nested no deeper than the reader allows) and stands after a
/// <c>"data":</c> property name; since every byte before it is copied as is, the skeleton is
/// valid exactly when the header is. Any error reading the skeleton reads the header itself
/// again, so every message (with its positions) is the one the header gives.
/// </summary>
internal static class HeaderSkeleton
{
    /// <summary>The header reader's nesting limit (<see cref="InferHeaderReader"/>).</summary>
    private const int MaxDepth = 64;

    /// <summary>One array cut out: at <see cref="At"/> in the skeleton ("[]"), <see cref="Start"/> and <see cref="Length"/> in the header.</summary>
    public readonly record struct Cut(int At, int Start, int Length);

    /// <summary>Parses <paramref name="json"/> into <paramref name="into"/>, as <see cref="InferHeaderReader.Read"/> does.</summary>
    public static void Read(ReadOnlySpan<byte> json, TensorNames names, InferHeader into, InferExchange exchange)
    {
        var cuts = exchange.Cuts;
        cuts.Clear();
        var length = Make(json, exchange, cuts, out var skeleton);
        if (skeleton is null)
        {
            InferHeaderReader.Read(json, names, into);
            return;
        }
        try
        {
            InferHeaderReader.Read(skeleton.AsSpan(0, length), names, into);
        }
        catch (InferenceException)
        {
            // The header's own error, with its own positions.
            into.Reset();
            InferHeaderReader.Read(json, names, into);
            return;
        }
        for (var i = 0; i < into.Inputs.Count; i++)
        {
            var e = into.Inputs[i];
            if (e.DataLength == 0) continue;
            (e.DataStart, e.DataLength) = Place(e.DataStart, e.DataLength, cuts);
            into.Inputs[i] = e;
        }
    }

    /// <summary>Where a value at <paramref name="at"/> in the skeleton stands in the header: a cut array's own place, else shifted by the cuts before it.</summary>
    private static (int Start, int Length) Place(int at, int length, List<Cut> cuts)
    {
        var shift = 0;
        foreach (var c in cuts)
        {
            if (c.At == at) return (c.Start, c.Length);
            if (c.At > at) break;
            shift += c.Length - 2;
        }
        return (at + shift, length);
    }

    /// <summary>The skeleton of <paramref name="json"/> in an array of the exchange (taken at the first cut; null when nothing is cut); returns its length.</summary>
    private static int Make(ReadOnlySpan<byte> json, InferExchange exchange, List<Cut> cuts, out byte[]? into)
    {
        into = null;
        var copied = 0; // json[..copied] is in the skeleton
        var written = 0;
        var depth = 0; // containers open at i (outside strings)
        var i = 0;
        while (i < json.Length)
        {
            var c = json[i];
            if (c == '"')
            {
                var start = i + 1;
                i = StringEnd(json, start);
                if (i < 0) break; // unterminated: the reader's to report
                var isData = json[start..i].SequenceEqual("data"u8);
                i++;
                if (!isData) continue;
                var colon = SkipSpace(json, i);
                if (colon == json.Length || json[colon] != ':') continue;
                var value = SkipSpace(json, colon + 1);
                if (value == json.Length || json[value] != '[') continue;
                // One level short of the reader's limit, so that a header at the limit is always the reader's to judge.
                var end = NumberArrayEnd(json, value, Math.Min(MaxDepth - depth - 1, 32));
                if (end < 0) continue;
                // The skeleton is never longer than the header.
                into ??= exchange.RentArray(json.Length);
                json[copied..value].CopyTo(into.AsSpan(written));
                written += value - copied;
                cuts.Add(new Cut(written, value, end - value));
                "[]"u8.CopyTo(into.AsSpan(written));
                written += 2;
                copied = i = end;
                continue;
            }
            if (c is (byte)'{' or (byte)'[') depth++;
            else if (c is (byte)'}' or (byte)']') depth--;
            i++;
        }
        if (into is null) return 0;
        json[copied..].CopyTo(into.AsSpan(written));
        return written + json.Length - copied;
    }

    /// <summary>The index of the quote that closes the string whose text starts at <paramref name="i"/>; -1 when none does.</summary>
    private static int StringEnd(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length)
        {
            var at = json[i..].IndexOfAny((byte)'"', (byte)'\\');
            if (at < 0) return -1;
            i += at;
            if (json[i] == '"') return i;
            i += 2; // an escape: the byte after the backslash is never the end
        }
        return -1;
    }

    private static int SkipSpace(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && json[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r') i++;
        return i;
    }

    /// <summary>
    /// The end (one past its ']') of the array starting at <paramref name="i"/> when it holds only
    /// numbers and arrays of them, nested at most <paramref name="levels"/> deep, in JSON's grammar; -1 otherwise.
    /// </summary>
    private static int NumberArrayEnd(ReadOnlySpan<byte> json, int i, int levels)
    {
        var open = 0;
        // After '[' or ',' a value must come (']' too right after '['); after a value, ',' or ']'.
        var afterOpen = false;
        var wantValue = true;
        while (i < json.Length)
        {
            var c = json[i];
            if (c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
            {
                i++;
            }
            else if (c == '[')
            {
                if (!wantValue || ++open > levels) return -1;
                afterOpen = true;
                i++;
            }
            else if (c == ']')
            {
                if (wantValue && !afterOpen) return -1;
                afterOpen = wantValue = false;
                i++;
                if (--open == 0) return i;
            }
            else if (c == ',')
            {
                if (wantValue) return -1;
                wantValue = true;
                afterOpen = false;
                i++;
            }
            else
            {
                if (!wantValue) return -1;
                i = NumberEnd(json, i);
                if (i < 0) return -1;
                afterOpen = wantValue = false;
            }
        }
        return -1;
    }

    /// <summary>One past a JSON number starting at <paramref name="i"/> (-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?), or -1 when none starts there.</summary>
    private static int NumberEnd(ReadOnlySpan<byte> json, int i)
    {
        if (i < json.Length && json[i] == '-') i++;
        if (i == json.Length) return -1;
        if (json[i] == '0') i++;
        else if (!Digits(json, ref i)) return -1;
        if (i < json.Length && json[i] == '.')
        {
            i++;
            if (!Digits(json, ref i)) return -1;
        }
        if (i < json.Length && (json[i] | 0x20) == 'e')
        {
            i++;
            if (i < json.Length && json[i] is (byte)'+' or (byte)'-') i++;
            if (!Digits(json, ref i)) return -1;
        }
        // A number ends at a delimiter; anything else ("01", "1x") is not JSON's.
        return i == json.Length || json[i] is (byte)',' or (byte)']' or (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' ? i : -1;
    }

    /// <summary>At least one digit from <paramref name="i"/>, moved past them.</summary>
    private static bool Digits(ReadOnlySpan<byte> json, ref int i)
    {
        var start = i;
        while (i < json.Length && (uint)(json[i] - '0') <= 9) i++;
        return i > start;
    }
}
