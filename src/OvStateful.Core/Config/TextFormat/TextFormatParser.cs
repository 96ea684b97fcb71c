using System.Collections;
using System.Globalization;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace OvStateful.Core.Config.TextFormat;

/// <summary>
/// Parses protobuf text format into a generated message, walking its descriptors (Google.Protobuf
/// for C# has no text-format parser), the way protobuf's own TextFormat parser reads Triton's
/// config.pbtxt: <c>#</c> comments; messages written <c>name { }</c>, <c>name: { }</c> or with
/// angle brackets; repeated fields as repeated entries or as <c>[a, b]</c> lists (messages too);
/// fields separated by whitespace, <c>,</c> or <c>;</c>; adjacent strings concatenated; maps as
/// repeated <c>{ key: … value: … }</c> entries. Unknown fields, values of the wrong type or out of
/// range, a singular field given twice and two members of one oneof are errors; the parser notes
/// each and reads on, so one run reports them all. A structural error (an unclosed brace, a missing
/// value) ends the parse. Every error is a <see cref="ConfigParseException"/> listing every
/// problem found; no other exception escapes <see cref="Parse"/>. Where each field was written is
/// kept by config path (<c>sequence_batching.control_input[1].control[0]</c>, <c>parameters["ort_ep"]</c>),
/// the paths validation reports, so its problems can name file:line:column too.
/// </summary>
internal sealed class TextFormatParser
{
    // Triton's config messages are not recursive; this guards against a recursive schema.
    private const int MaxDepth = 64;

    private readonly TextTokenizer _tok;
    /// <summary>Problems noted while reading on; a parse with any fails with all of them.</summary>
    private readonly List<ConfigParseException> _problems = [];
    /// <summary>Config path → where it was written (a field's name, a list element, a map entry).</summary>
    private readonly Dictionary<string, TextPosition> _positions = new(StringComparer.Ordinal);

    private TextFormatParser(string text, string file)
    {
        _tok = new TextTokenizer(text, file);
    }

    /// <summary>Parses <paramref name="text"/> into a new <paramref name="root"/> message.</summary>
    public static (IMessage Message, IReadOnlyDictionary<string, TextPosition> Positions) Parse(string text, string file, MessageDescriptor root)
    {
        TextFormatParser? parser = null;
        IMessage message;
        try
        {
            parser = new TextFormatParser(text, file);
            message = NewMessage(root);
            parser.ParseBody(message, closer: null, new TextPosition(1, 1), depth: 0, path: "");
        }
        catch (ConfigParseException ex) when (parser is { _problems.Count: > 0 })
        {
            // A structural error after problems already noted: report them all, in file order.
            throw ConfigParseException.Combine([.. parser._problems, ex]);
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
        if (parser._problems.Count > 0) throw ConfigParseException.Combine(parser._problems);
        return (message, parser._positions);
    }

    private static IMessage NewMessage(MessageDescriptor descriptor) => descriptor.Parser.ParseFrom(ByteString.Empty);

    private void ParseBody(IMessage msg, char? closer, TextPosition open, int depth, string path)
    {
        var d = msg.Descriptor;
        if (depth > MaxDepth) throw _tok.Error(open, $"messages nested deeper than {MaxDepth} levels");
        var singular = new Dictionary<string, TextPosition>(StringComparer.Ordinal);
        var oneofs = new Dictionary<string, string>(StringComparer.Ordinal);
        while (true)
        {
            var t = _tok.Current;
            if (closer is { } cl && t.IsSymbol(cl))
            {
                _tok.Next();
                return;
            }
            if (t.Kind == TokenKind.End)
            {
                if (closer is null) return;
                throw _tok.Error(t.Position, $"unexpected end of file; expected '{closer}' to close the {Name(d)} opened at {open}");
            }
            if (t.Kind != TokenKind.Identifier)
            {
                var expected = closer is null ? "a field name" : $"a field name or '{closer}'";
                if (t.IsSymbol('['))
                {
                    throw _tok.Error(t.Position, $"unexpected '['; extension and Any fields ([name]) are not part of {Name(d)}; expected {expected}");
                }
                throw _tok.Error(t.Position, $"unexpected {t.Describe()}; expected {expected} of {Name(d)}");
            }
            _tok.Next();
            var field = d.FindFieldByName(t.Text);
            if (field is null)
            {
                Note(UnknownField(t, d));
                SkipField(depth);
            }
            else
            {
                if (!field.IsRepeated)
                {
                    if (singular.TryGetValue(field.Name, out var first))
                        Note(_tok.Error(t.Position, $"field \"{field.Name}\" of {Name(d)} is given twice (first at {first}); it is not repeated"));
                    else singular.Add(field.Name, t.Position);
                }
                if (field.RealContainingOneof is { } oneof)
                {
                    if (oneofs.TryGetValue(oneof.Name, out var other) && other != field.Name)
                        Note(_tok.Error(t.Position, $"field \"{field.Name}\" cannot be given together with \"{other}\": both belong to oneof {oneof.Name} of {Name(d)}"));
                    oneofs[oneof.Name] = field.Name;
                }
                ParseField(msg, field, t, depth, path.Length == 0 ? field.Name : path + "." + field.Name);
            }
            // Fields may be separated by one ',' or ';' as well as by whitespace.
            if (_tok.Current.IsSymbol(',') || _tok.Current.IsSymbol(';')) _tok.Next();
        }
    }

    private void Note(ConfigParseException problem) => _problems.Add(problem);

    private void ParseField(IMessage msg, FieldDescriptor field, TextToken nameToken, int depth, string path)
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
            if (!field.IsRepeated)
            {
                Note(_tok.Error(open.Position, $"field \"{field.Name}\" of {Name(msg.Descriptor)} is not repeated; a list [ ] is only allowed for repeated fields"));
                SkipList(open, depth);
                return;
            }
            if (_tok.Current.IsSymbol(']'))
            {
                _tok.Next();
                return;
            }
            while (true)
            {
                ParseElement(msg, field, depth, path);
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
        if (field.FieldType != FieldType.Message && !hasColon)
        {
            throw _tok.Error(_tok.Current.Position, $"expected ':' after field name \"{field.Name}\", found {_tok.Current.Describe()}");
        }
        _positions.TryAdd(path, nameToken.Position);
        ParseElement(msg, field, depth, path);
    }

    /// <summary>Reads one value of the field and stores it: set, appended, or put in the map.</summary>
    private void ParseElement(IMessage msg, FieldDescriptor field, int depth, string path)
    {
        var at = _tok.Current.Position;
        if (field.IsMap)
        {
            var (key, value) = ParseMapEntry(field, depth, path, at);
            // As with any protobuf map, a key given twice keeps its last value.
            if (key is not null) ((IDictionary)field.Accessor.GetValue(msg))[key] = value;
            return;
        }
        var elementPath = path;
        if (field.IsRepeated)
        {
            var list = (IList)field.Accessor.GetValue(msg);
            elementPath = $"{path}[{list.Count}]";
            _positions.TryAdd(elementPath, at);
            if (ParseValue(field, msg.Descriptor, depth, elementPath, out var item)) list.Add(item);
            return;
        }
        if (ParseValue(field, msg.Descriptor, depth, elementPath, out var v)) field.Accessor.SetValue(msg, v);
    }

    /// <summary>A map entry <c>{ key: … value: … }</c>; a null key when the entry was unusable (its problem noted).</summary>
    private (object? Key, object? Value) ParseMapEntry(FieldDescriptor field, int depth, string path, TextPosition at)
    {
        var entry = field.MessageType;
        var entryName = $"{Name(field.ContainingType)}.{field.Name} entry";
        var keyField = entry.FindFieldByNumber(1);
        var valueField = entry.FindFieldByNumber(2);
        var t = _tok.Current;
        char closer;
        if (t.IsSymbol('{')) closer = '}';
        else if (t.IsSymbol('<')) closer = '>';
        else throw _tok.Error(t.Position, $"expected '{{' to start a {entryName}, found {t.Describe()}");
        _tok.Next();
        object? key = null, value = null;
        var valuePath = path + "[?]";
        while (true)
        {
            var n = _tok.Current;
            if (n.IsSymbol(closer))
            {
                _tok.Next();
                break;
            }
            if (n.Kind != TokenKind.Identifier)
                throw _tok.Error(n.Position, $"unexpected {n.Describe()}; expected key, value or '{closer}' in {entryName}");
            _tok.Next();
            var f = n.Text == "key" ? keyField : n.Text == "value" ? valueField : null;
            if (f is null)
            {
                Note(_tok.Error(n.Position, $"unknown field \"{n.Text}\" in {entryName}; expected one of: key, value"));
                SkipField(depth);
            }
            else
            {
                if (_tok.Current.IsSymbol(':')) _tok.Next();
                else if (f.FieldType != FieldType.Message)
                    throw _tok.Error(_tok.Current.Position, $"expected ':' after field name \"{f.Name}\", found {_tok.Current.Describe()}");
                if (f == keyField && ParseValue(f, entry, depth, path, out var k))
                {
                    key = k;
                    valuePath = $"{path}[{Quote(k)}]";
                    _positions.TryAdd(valuePath, at);
                }
                else if (f == valueField && ParseValue(f, entry, depth + 1, valuePath, out var v)) value = v;
            }
            if (_tok.Current.IsSymbol(',') || _tok.Current.IsSymbol(';')) _tok.Next();
        }
        if (key is null)
        {
            Note(_tok.Error(at, $"{entryName} has no key"));
            return (null, null);
        }
        return (key, value ?? DefaultOf(valueField));
    }

    private static string Quote(object key) => key is string s ? "\"" + s + "\"" : Convert.ToString(key, CultureInfo.InvariantCulture) ?? "";

    private static object DefaultOf(FieldDescriptor f) => f.FieldType switch
    {
        FieldType.Message => NewMessage(f.MessageType),
        FieldType.String => "",
        FieldType.Bytes => ByteString.Empty,
        FieldType.Bool => false,
        FieldType.Enum => Enum.ToObject(f.EnumType.ClrType, 0),
        _ => Convert.ChangeType(0, TypeOf(f), CultureInfo.InvariantCulture),
    };

    private static Type TypeOf(FieldDescriptor f) => f.FieldType switch
    {
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => typeof(int),
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => typeof(long),
        FieldType.UInt32 or FieldType.Fixed32 => typeof(uint),
        FieldType.UInt64 or FieldType.Fixed64 => typeof(ulong),
        FieldType.Float => typeof(float),
        _ => typeof(double),
    };

    /// <summary>
    /// One value of <paramref name="field"/>, typed as its generated property holds it. A bad
    /// scalar is noted and skipped (false); a malformed message body ends the parse.
    /// </summary>
    private bool ParseValue(FieldDescriptor field, MessageDescriptor owner, int depth, string path, out object value)
    {
        var t = _tok.Current;
        if (field.FieldType == FieldType.Message)
        {
            char closer;
            if (t.IsSymbol('{')) closer = '}';
            else if (t.IsSymbol('<')) closer = '>';
            else throw _tok.Error(t.Position, $"expected '{{' to start {Name(field.MessageType)} \"{field.Name}\", found {t.Describe()}");
            _tok.Next();
            var message = NewMessage(field.MessageType);
            ParseBody(message, closer, t.Position, depth + 1, path);
            value = message;
            return true;
        }
        try
        {
            value = field.FieldType switch
            {
                FieldType.String => ParseString(field, owner),
                FieldType.Bytes => ByteString.CopyFromUtf8(ParseString(field, owner)),
                FieldType.Bool => ParseBool(field, owner),
                FieldType.Float => (float)ParseFloat(field, owner),
                FieldType.Double => ParseFloat(field, owner),
                FieldType.Enum => ParseEnum(field, owner),
                _ => ParseInteger(field, owner),
            };
            return true;
        }
        catch (ConfigParseException problem)
        {
            Note(problem);
            // The bad token was consumed (or, when it ends a list or a message, is left for it).
            if (_tok.Current.Position == t.Position)
            {
                if (t.IsSymbol('{') || t.IsSymbol('<')) SkipValue(depth);
                else if (!IsCloser(t) && t.Kind != TokenKind.End) _tok.Next();
            }
            value = null!;
            return false;
        }
    }

    private static bool IsCloser(TextToken t) => t.IsSymbol('}') || t.IsSymbol('>') || t.IsSymbol(']') || t.IsSymbol(',');

    /// <summary>Skips an unknown field's value: a scalar, a message, or a list of either.</summary>
    private void SkipField(int depth)
    {
        if (_tok.Current.IsSymbol(':')) _tok.Next();
        var t = _tok.Current;
        if (t.IsSymbol('[')) SkipList(_tok.Next(), depth);
        else SkipValue(depth);
    }

    private void SkipList(TextToken open, int depth)
    {
        while (!_tok.Current.IsSymbol(']'))
        {
            if (_tok.Current.Kind == TokenKind.End) throw _tok.Error(_tok.Current.Position, $"unexpected end of file; expected ']' to close the list opened at {open.Position}");
            SkipValue(depth);
            if (_tok.Current.IsSymbol(',')) _tok.Next();
        }
        _tok.Next();
    }

    private void SkipValue(int depth)
    {
        var t = _tok.Current;
        if (t.IsSymbol('{') || t.IsSymbol('<'))
        {
            if (depth + 1 > MaxDepth) throw _tok.Error(t.Position, $"messages nested deeper than {MaxDepth} levels");
            var close = t.IsSymbol('{') ? '}' : '>';
            _tok.Next();
            while (!_tok.Current.IsSymbol(close))
            {
                var n = _tok.Current;
                if (n.Kind == TokenKind.End) throw _tok.Error(n.Position, $"unexpected end of file; expected '{close}' to close the message opened at {t.Position}");
                if (n.Kind != TokenKind.Identifier) throw _tok.Error(n.Position, $"unexpected {n.Describe()}; expected a field name or '{close}'");
                _tok.Next();
                SkipField(depth + 1);
                if (_tok.Current.IsSymbol(',') || _tok.Current.IsSymbol(';')) _tok.Next();
            }
            _tok.Next();
            return;
        }
        if (t.IsSymbol('-')) _tok.Next();
        var v = _tok.Current;
        if (v.Kind is TokenKind.End or TokenKind.Symbol) throw _tok.Error(v.Position, $"expected a value, found {v.Describe()}");
        _tok.Next();
        while (v.Kind == TokenKind.String && _tok.Current.Kind == TokenKind.String) _tok.Next();
    }

    private string ParseString(FieldDescriptor field, MessageDescriptor owner)
    {
        var t = _tok.Current;
        if (t.Kind != TokenKind.String)
        {
            throw _tok.Error(t.Position, $"expected a quoted string for field \"{field.Name}\" of {Name(owner)}, found {t.Describe()}");
        }
        _tok.Next();
        if (_tok.Current.Kind != TokenKind.String) return t.Text;
        // Adjacent literals concatenate: "ab" "cd" is "abcd".
        var parts = new System.Text.StringBuilder(t.Text);
        while (_tok.Current.Kind == TokenKind.String) parts.Append(_tok.Next().Text);
        return parts.ToString();
    }

    private bool ParseBool(FieldDescriptor field, MessageDescriptor owner)
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
        throw _tok.Error(t.Position, $"expected true or false for bool field \"{field.Name}\" of {Name(owner)}, found {t.Describe()}");
    }

    private object ParseInteger(FieldDescriptor field, MessageDescriptor owner)
    {
        var start = _tok.Current.Position;
        var negative = false;
        if (_tok.Current.IsSymbol('-'))
        {
            negative = true;
            _tok.Next();
        }
        var t = _tok.Next();
        var typeName = TypeName(field);
        if (t.Kind != TokenKind.Integer)
        {
            throw _tok.Error(t.Position, $"expected an integer ({typeName}) for field \"{field.Name}\" of {Name(owner)}, found {t.Describe()}");
        }
        if (!TryParseMagnitude(t.Text, out var magnitude))
        {
            throw _tok.Error(start, $"integer {(negative ? "-" : "")}{t.Text} is not a valid integer (a leading 0 means octal) or does not fit in 64 bits (field \"{field.Name}\" of {Name(owner)})");
        }
        var type = TypeOf(field);
        var (min, max) = type == typeof(int) ? ((Int128)int.MinValue, (Int128)int.MaxValue)
            : type == typeof(long) ? (long.MinValue, long.MaxValue)
            : type == typeof(uint) ? (0, uint.MaxValue)
            : ((Int128)0, (Int128)ulong.MaxValue);
        Int128 value = negative ? -(Int128)magnitude : magnitude;
        if (value < min || value > max)
        {
            throw _tok.Error(start, $"integer {(negative ? "-" : "")}{t.Text} is out of range for {typeName} field \"{field.Name}\" of {Name(owner)} ({min} to {max})");
        }
        return type == typeof(int) ? (int)value : type == typeof(long) ? (long)value : type == typeof(uint) ? (uint)value : (object)(ulong)value;
    }

    private double ParseFloat(FieldDescriptor field, MessageDescriptor owner)
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
                    throw _tok.Error(t.Position, $"\"{t.Text}\" is not a valid number for field \"{field.Name}\" of {Name(owner)}");
                }
                break;
            case TokenKind.Float:
                var text = t.Text.TrimEnd('f', 'F');
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out v))
                {
                    throw _tok.Error(t.Position, $"\"{t.Text}\" is not a valid number for field \"{field.Name}\" of {Name(owner)}");
                }
                break;
            case TokenKind.Identifier when t.Text.ToLowerInvariant() is "inf" or "infinity":
                v = double.PositiveInfinity;
                break;
            case TokenKind.Identifier when t.Text.ToLowerInvariant() is "nan":
                v = double.NaN;
                break;
            default:
                throw _tok.Error(t.Position, $"expected a number ({TypeName(field)}) for field \"{field.Name}\" of {Name(owner)}, found {t.Describe()}");
        }
        return negative ? -v : v;
    }

    private object ParseEnum(FieldDescriptor field, MessageDescriptor owner)
    {
        var e = field.EnumType;
        var names = e.Values.Select(v => v.Name).ToList();
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
            if (e.FindValueByName(t.Text) is { } named) return Enum.ToObject(e.ClrType, named.Number);
            throw _tok.Error(t.Position, $"unknown value \"{t.Text}\" for {Name(e)} field \"{field.Name}\" of {Name(owner)}; expected one of: {string.Join(", ", names)}{Suggest(t.Text, names)}");
        }
        if (t.Kind == TokenKind.Integer && TryParseMagnitude(t.Text, out var n) && n <= int.MaxValue
            && e.FindValueByNumber(negative ? -(int)n : (int)n) is { } numbered)
        {
            return Enum.ToObject(e.ClrType, numbered.Number);
        }
        throw _tok.Error(start, $"expected a {Name(e)} value for field \"{field.Name}\" of {Name(owner)} (one of: {string.Join(", ", names)}), found {(negative ? "'-' " : "")}{t.Describe()}");
    }

    private ConfigParseException UnknownField(TextToken t, MessageDescriptor d)
    {
        var names = d.Fields.InDeclarationOrder().Select(f => f.Name).ToList();
        return _tok.Error(t.Position, $"unknown field \"{t.Text}\" in {Name(d)}; expected one of: {string.Join(", ", names)}{Suggest(t.Text, names)}");
    }

    /// <summary>A message's name as model_config.proto spells it, nested names dotted (ModelSequenceBatching.Control).</summary>
    private static string Name(MessageDescriptor d) => WithoutPackage(d.FullName, d.File.Package);

    private static string Name(EnumDescriptor e) => WithoutPackage(e.FullName, e.File.Package);

    private static string WithoutPackage(string fullName, string package) =>
        fullName.StartsWith(package + ".", StringComparison.Ordinal) ? fullName[(package.Length + 1)..] : fullName;

    /// <summary>The type as a .proto file spells it.</summary>
    private static string TypeName(FieldDescriptor f) => f.FieldType switch
    {
        FieldType.Message => Name(f.MessageType),
        FieldType.Enum => Name(f.EnumType),
        _ => f.FieldType.ToString().ToLowerInvariant(),
    };

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
