using System.Globalization;

namespace OvStateful.Core.Config.TextFormat;

/// <summary>
/// Parses protobuf text format against a <see cref="MessageSchema"/>, the way protobuf's own
/// TextFormat parser reads Triton's config.pbtxt: <c>#</c> comments; messages written
/// <c>name { }</c>, <c>name: { }</c> or with angle brackets; repeated fields as repeated entries
/// or as <c>[a, b]</c> lists (messages too); fields separated by whitespace, <c>,</c> or <c>;</c>;
/// adjacent strings concatenated; maps as repeated <c>{ key: … value: … }</c> entries. Unknown
/// fields, a singular field given twice and two members of one oneof are errors. Every error is a
/// <see cref="ConfigParseException"/>; no other exception escapes <see cref="Parse"/>.
/// </summary>
internal sealed class TextFormatParser
{
    // The schema is not recursive, so depth is bounded by it; this guards against a future recursive schema.
    private const int MaxDepth = 64;

    private readonly TextTokenizer _tok;

    private TextFormatParser(string text, string file)
    {
        _tok = new TextTokenizer(text, file);
    }

    public static TextMessage Parse(string text, string file, MessageSchema root)
    {
        try
        {
            var parser = new TextFormatParser(text, file);
            return parser.ParseBody(root, closer: null, new TextPosition(1, 1), depth: 0);
        }
        catch (ConfigParseException)
        {
            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A bug in the parser must still surface as a located parse error, never as a crash.
            throw new ConfigParseException(file, 1, 1, $"internal parser error ({ex.GetType().Name}: {ex.Message})");
        }
    }

    private TextMessage ParseBody(MessageSchema schema, char? closer, TextPosition open, int depth)
    {
        if (depth > MaxDepth) throw _tok.Error(open, $"messages nested deeper than {MaxDepth} levels");
        var msg = new TextMessage(schema, open);
        var singular = new Dictionary<string, TextPosition>(StringComparer.Ordinal);
        var oneofs = new Dictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            var t = _tok.Current;
            if (closer is { } cl && t.IsSymbol(cl))
            {
                _tok.Next();
                return msg;
            }
            if (t.Kind == TokenKind.End)
            {
                if (closer is null) return msg;
                throw _tok.Error(t.Position, $"unexpected end of file; expected '{closer}' to close the {schema.Name} opened at {open}");
            }
            if (t.Kind != TokenKind.Identifier)
            {
                var expected = closer is null ? "a field name" : $"a field name or '{closer}'";
                if (t.IsSymbol('['))
                {
                    throw _tok.Error(t.Position, $"unexpected '['; extension and Any fields ([name]) are not part of {schema.Name}; expected {expected}");
                }
                throw _tok.Error(t.Position, $"unexpected {t.Describe()}; expected {expected} of {schema.Name}");
            }
            _tok.Next();
            var field = schema.Find(t.Text) ?? throw UnknownField(t, schema);
            if (!field.Repeated)
            {
                if (singular.TryGetValue(field.Name, out var first))
                {
                    throw _tok.Error(t.Position, $"field \"{field.Name}\" of {schema.Name} is given twice (first at {first}); it is not repeated");
                }
                singular.Add(field.Name, t.Position);
            }
            if (field.Oneof is { } oneof)
            {
                if (oneofs.TryGetValue(oneof, out var other) && other != field.Name)
                {
                    throw _tok.Error(t.Position, $"field \"{field.Name}\" cannot be given together with \"{other}\": both belong to oneof {oneof} of {schema.Name}");
                }
                oneofs[oneof] = field.Name;
            }
            ParseField(msg, field, t, depth);
            // Fields may be separated by one ',' or ';' as well as by whitespace.
            if (_tok.Current.IsSymbol(',') || _tok.Current.IsSymbol(';')) _tok.Next();
        }
    }

    private void ParseField(TextMessage msg, FieldSchema field, TextToken nameToken, int depth)
    {
        var hasColon = false;
        if (_tok.Current.IsSymbol(':'))
        {
            _tok.Next();
            hasColon = true;
        }
        if (_tok.Current.IsSymbol('['))
        {
            var open = _tok.Next();
            if (!field.Repeated)
            {
                throw _tok.Error(open.Position, $"field \"{field.Name}\" of {msg.Schema.Name} is not repeated; a list [ ] is only allowed for repeated fields");
            }
            if (_tok.Current.IsSymbol(']'))
            {
                _tok.Next();
                return;
            }
            while (true)
            {
                var at = _tok.Current.Position;
                msg.Fields.Add(new TextField(field, at, ParseValue(field, msg.Schema, depth)));
                var sep = _tok.Current;
                if (sep.IsSymbol(']'))
                {
                    _tok.Next();
                    return;
                }
                if (!sep.IsSymbol(','))
                {
                    throw _tok.Error(sep.Position, $"unexpected {sep.Describe()} in the list of \"{field.Name}\" opened at {open.Position}; expected ',' or ']'");
                }
                _tok.Next();
            }
        }
        if (field.Kind != FieldKind.Message && !hasColon)
        {
            throw _tok.Error(_tok.Current.Position, $"expected ':' after field name \"{field.Name}\", found {_tok.Current.Describe()}");
        }
        var pos = _tok.Current.Position;
        msg.Fields.Add(new TextField(field, pos, ParseValue(field, msg.Schema, depth)));
    }

    private object ParseValue(FieldSchema field, MessageSchema owner, int depth)
    {
        var t = _tok.Current;
        switch (field.Kind)
        {
            case FieldKind.Message:
            {
                char closer;
                if (t.IsSymbol('{')) closer = '}';
                else if (t.IsSymbol('<')) closer = '>';
                else throw _tok.Error(t.Position, $"expected '{{' to start {field.Message!.Name} \"{field.Name}\", found {t.Describe()}");
                _tok.Next();
                return ParseBody(field.Message!, closer, t.Position, depth + 1);
            }
            case FieldKind.String:
            {
                if (t.Kind != TokenKind.String)
                {
                    throw _tok.Error(t.Position, $"expected a quoted string for field \"{field.Name}\" of {owner.Name}, found {t.Describe()}");
                }
                _tok.Next();
                if (_tok.Current.Kind != TokenKind.String) return t.Text;
                // Adjacent literals concatenate: "ab" "cd" is "abcd".
                var parts = new System.Text.StringBuilder(t.Text);
                while (_tok.Current.Kind == TokenKind.String) parts.Append(_tok.Next().Text);
                return parts.ToString();
            }
            case FieldKind.Bool:
                return ParseBool(field, owner);
            case FieldKind.Int32 or FieldKind.Int64 or FieldKind.UInt32 or FieldKind.UInt64:
                return ParseInteger(field, owner);
            case FieldKind.Float or FieldKind.Double:
                return ParseFloat(field, owner);
            case FieldKind.Enum:
                return ParseEnum(field, owner);
            default:
                throw _tok.Error(t.Position, $"field \"{field.Name}\" has an unsupported type");
        }
    }

    private bool ParseBool(FieldSchema field, MessageSchema owner)
    {
        var t = _tok.Next();
        if (t.Kind == TokenKind.Identifier)
        {
            switch (t.Text)
            {
                case "true" or "True" or "t": return true;
                case "false" or "False" or "f": return false;
            }
        }
        else if (t.Kind == TokenKind.Integer && t.Text is "0" or "1")
        {
            return t.Text == "1";
        }
        throw _tok.Error(t.Position, $"expected true or false for bool field \"{field.Name}\" of {owner.Name}, found {t.Describe()}");
    }

    private object ParseInteger(FieldSchema field, MessageSchema owner)
    {
        var start = _tok.Current.Position;
        var negative = false;
        if (_tok.Current.IsSymbol('-'))
        {
            negative = true;
            _tok.Next();
        }
        var t = _tok.Next();
        var typeName = field.TypeName;
        if (t.Kind != TokenKind.Integer)
        {
            throw _tok.Error(t.Position, $"expected an integer ({typeName}) for field \"{field.Name}\" of {owner.Name}, found {t.Describe()}");
        }
        if (!TryParseMagnitude(t.Text, out var magnitude))
        {
            throw _tok.Error(start, $"integer {(negative ? "-" : "")}{t.Text} is not a valid integer (a leading 0 means octal) or does not fit in 64 bits (field \"{field.Name}\" of {owner.Name})");
        }
        var (min, max) = field.Kind switch
        {
            FieldKind.Int32 => ((Int128)int.MinValue, (Int128)int.MaxValue),
            FieldKind.Int64 => (long.MinValue, long.MaxValue),
            FieldKind.UInt32 => (0, uint.MaxValue),
            _ => ((Int128)0, (Int128)ulong.MaxValue),
        };
        Int128 value = negative ? -(Int128)magnitude : magnitude;
        if (value < min || value > max)
        {
            throw _tok.Error(start, $"integer {(negative ? "-" : "")}{t.Text} is out of range for {typeName} field \"{field.Name}\" of {owner.Name} ({min} to {max})");
        }
        return field.Kind is FieldKind.UInt32 or FieldKind.UInt64 ? (ulong)value : (object)(long)value;
    }

    private double ParseFloat(FieldSchema field, MessageSchema owner)
    {
        var negative = false;
        if (_tok.Current.IsSymbol('-'))
        {
            negative = true;
            _tok.Next();
        }
        var t = _tok.Next();
        double v;
        switch (t.Kind)
        {
            case TokenKind.Integer:
                if (TryParseMagnitude(t.Text, out var m)) v = m;
                else if (!double.TryParse(t.Text, NumberStyles.None, CultureInfo.InvariantCulture, out v))
                {
                    throw _tok.Error(t.Position, $"\"{t.Text}\" is not a valid number for field \"{field.Name}\" of {owner.Name}");
                }
                break;
            case TokenKind.Float:
                var text = t.Text.TrimEnd('f', 'F');
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out v))
                {
                    throw _tok.Error(t.Position, $"\"{t.Text}\" is not a valid number for field \"{field.Name}\" of {owner.Name}");
                }
                break;
            case TokenKind.Identifier when t.Text.ToLowerInvariant() is "inf" or "infinity":
                v = double.PositiveInfinity;
                break;
            case TokenKind.Identifier when t.Text.ToLowerInvariant() is "nan":
                v = double.NaN;
                break;
            default:
                throw _tok.Error(t.Position, $"expected a number ({field.TypeName}) for field \"{field.Name}\" of {owner.Name}, found {t.Describe()}");
        }
        return negative ? -v : v;
    }

    private string ParseEnum(FieldSchema field, MessageSchema owner)
    {
        var e = field.Enum!;
        var start = _tok.Current.Position;
        var negative = false;
        if (_tok.Current.IsSymbol('-'))
        {
            negative = true;
            _tok.Next();
        }
        var t = _tok.Next();
        if (t.Kind == TokenKind.Identifier && !negative)
        {
            if (e.Contains(t.Text)) return t.Text;
            throw _tok.Error(t.Position, $"unknown value \"{t.Text}\" for {e.Name} field \"{field.Name}\" of {owner.Name}; expected one of: {string.Join(", ", e.Values.Select(v => v.Name))}{Suggest(t.Text, e.Values.Select(v => v.Name))}");
        }
        if (t.Kind == TokenKind.Integer && TryParseMagnitude(t.Text, out var n) && n <= int.MaxValue
            && e.TryGetName(negative ? -(long)n : (long)n, out var name))
        {
            return name;
        }
        throw _tok.Error(start, $"expected a {e.Name} value for field \"{field.Name}\" of {owner.Name} (one of: {string.Join(", ", e.Values.Select(v => v.Name))}), found {(negative ? "'-' " : "")}{t.Describe()}");
    }

    private ConfigParseException UnknownField(TextToken t, MessageSchema schema)
    {
        var names = schema.Fields.Select(f => f.Name).ToList();
        return _tok.Error(t.Position, $"unknown field \"{t.Text}\" in {schema.Name}; expected one of: {string.Join(", ", names)}{Suggest(t.Text, names)}");
    }

    /// <summary>Decimal, 0x hex or 0-prefixed octal, as protobuf reads integers.</summary>
    private static bool TryParseMagnitude(string text, out ulong value)
    {
        value = 0;
        if (text.Length > 2 && text[0] == '0' && text[1] is 'x' or 'X')
        {
            return ulong.TryParse(text.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        }
        if (text.Length > 1 && text[0] == '0')
        {
            foreach (var c in text.AsSpan(1))
            {
                if (c is < '0' or > '7') return false;
                if (value > (ulong.MaxValue >> 3)) return false;
                value = value * 8 + (ulong)(c - '0');
            }
            return true;
        }
        return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>"; did you mean "x"?" when one candidate is close (a typo or a missing underscore).</summary>
    internal static string Suggest(string given, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            var d = EditDistance(given.ToLowerInvariant(), c.ToLowerInvariant());
            if (d < bestDistance)
            {
                bestDistance = d;
                best = c;
            }
        }
        return best is not null && bestDistance <= Math.Max(1, given.Length / 4) ? $"; did you mean \"{best}\"?" : "";
    }

    private static int EditDistance(string a, string b) =>
        a.Length > 64 || b.Length > 64 ? int.MaxValue : Text.Spelling.Levenshtein(a, b);
}
