using System.Text;
using System.Text.Unicode;

namespace OvStateful.Core.Config.TextFormat;

/// <summary>
/// Splits protobuf text format into tokens: identifiers, numbers, quoted strings (escapes
/// decoded), and the symbols <c>{ } [ ] &lt; &gt; : , ; -</c>. <c>#</c> starts a comment to the end
/// of the line. Every error is a <see cref="ConfigParseException"/> at the offending character.
/// </summary>
internal sealed class TextTokenizer
{
    private readonly string _text;
    private readonly string _file;
    // Invariant: _pos <= _text.Length; _line/_col describe _pos (1-based).
    private int _pos;
    private int _line = 1;
    private int _col = 1;

    public TextTokenizer(string text, string file)
    {
        _text = text;
        _file = file;
        // A UTF-8 byte order mark is not part of the content.
        if (_text.Length > 0 && _text[0] == '\uFEFF') _pos = 1;
        Current = ReadToken();
    }

    /// <summary>The token not yet consumed.</summary>
    public TextToken Current { get; private set; }

    public TextToken Next()
    {
        var t = Current;
        Current = ReadToken();
        return t;
    }

    public ConfigParseException Error(TextPosition at, string detail) => new(_file, at.Line, at.Column, detail);

    private TextPosition Here => new(_line, _col);

    private char Peek(int ahead = 0) => _pos + ahead < _text.Length ? _text[_pos + ahead] : '\0';

    private bool AtEnd(int ahead = 0) => _pos + ahead >= _text.Length;

    private void Advance()
    {
        if (_text[_pos] == '\n') { _line++; _col = 1; }
        else _col++;
        _pos++;
    }

    private void SkipSpaceAndComments()
    {
        while (!AtEnd())
        {
            var c = Peek();
            if (c == '#')
            {
                while (!AtEnd() && Peek() != '\n') Advance();
            }
            else if (c is ' ' or '\t' or '\r' or '\n' or '\f' or '\v')
            {
                Advance();
            }
            else
            {
                return;
            }
        }
    }

    private TextToken ReadToken()
    {
        SkipSpaceAndComments();
        var start = Here;
        if (AtEnd()) return new TextToken(TokenKind.End, "", start);
        var c = Peek();
        if (IsLetter(c)) return ReadIdentifier(start);
        if (IsDigit(c) || (c == '.' && IsDigit(Peek(1)))) return ReadNumber(start);
        if (c is '"' or '\'') return ReadString(start);
        if (c is '{' or '}' or '[' or ']' or '<' or '>' or ':' or ',' or ';' or '-')
        {
            Advance();
            return new TextToken(TokenKind.Symbol, c.ToString(), start);
        }
        throw Error(start, $"unexpected character {DescribeChar(c)}; expected a field name, a value or one of {{ }} [ ] : , ;");
    }

    private TextToken ReadIdentifier(TextPosition start)
    {
        var from = _pos;
        while (!AtEnd() && (IsLetter(Peek()) || IsDigit(Peek()))) Advance();
        return new TextToken(TokenKind.Identifier, _text[from.._pos], start);
    }

    private TextToken ReadNumber(TextPosition start)
    {
        var from = _pos;
        var isFloat = false;
        if (Peek() == '0' && (Peek(1) is 'x' or 'X'))
        {
            Advance();
            Advance();
            if (!IsHexDigit(Peek())) throw Error(Here, $"expected a hex digit after \"0x\", found {DescribeCharOrEnd()}");
            while (IsHexDigit(Peek())) Advance();
        }
        else
        {
            while (IsDigit(Peek())) Advance();
            if (Peek() == '.')
            {
                isFloat = true;
                Advance();
                while (IsDigit(Peek())) Advance();
            }
            if (Peek() is 'e' or 'E')
            {
                isFloat = true;
                Advance();
                if (Peek() is '+' or '-') Advance();
                if (!IsDigit(Peek())) throw Error(Here, $"expected a digit in the exponent of a number, found {DescribeCharOrEnd()}");
                while (IsDigit(Peek())) Advance();
            }
            if (Peek() is 'f' or 'F')
            {
                isFloat = true;
                Advance();
            }
        }
        if (IsLetter(Peek()) || IsDigit(Peek()) || Peek() == '.')
        {
            throw Error(Here, $"unexpected character {DescribeChar(Peek())} in number \"{_text[from.._pos]}\"; a number ends with a space or a symbol");
        }
        return new TextToken(isFloat ? TokenKind.Float : TokenKind.Integer, _text[from.._pos], start);
    }

    private TextToken ReadString(TextPosition start)
    {
        var quote = Peek();
        Advance();
        // Strings are bytes in protobuf; escapes like \xHH produce bytes, so decode at the end.
        var bytes = new List<byte>();
        Span<byte> utf8 = stackalloc byte[4];
        while (true)
        {
            if (AtEnd()) throw Error(start, $"unterminated string; expected a closing {quote} before the end of the file");
            var c = Peek();
            if (c == '\n') throw Error(start, $"unterminated string; expected a closing {quote} before the end of the line");
            if (c == quote)
            {
                Advance();
                break;
            }
            if (c == '\\')
            {
                ReadEscape(bytes);
                continue;
            }
            if (char.IsHighSurrogate(c) && char.IsLowSurrogate(Peek(1)))
            {
                var n = new Rune(c, Peek(1)).EncodeToUtf8(utf8);
                for (var i = 0; i < n; i++) bytes.Add(utf8[i]);
                Advance();
                Advance();
                continue;
            }
            if (char.IsSurrogate(c)) throw Error(Here, "string contains an unpaired UTF-16 surrogate; the file must be valid UTF-8");
            var len = new Rune(c).EncodeToUtf8(utf8);
            for (var i = 0; i < len; i++) bytes.Add(utf8[i]);
            Advance();
        }
        var array = bytes.ToArray();
        if (!Utf8.IsValid(array)) throw Error(start, "string is not valid UTF-8 after decoding its escapes");
        return new TextToken(TokenKind.String, Encoding.UTF8.GetString(array), start);
    }

    private void ReadEscape(List<byte> bytes)
    {
        var at = Here;
        Advance(); // the backslash
        if (AtEnd()) throw Error(at, "unterminated escape sequence at the end of the file");
        var c = Peek();
        switch (c)
        {
            case 'n': bytes.Add((byte)'\n'); Advance(); return;
            case 't': bytes.Add((byte)'\t'); Advance(); return;
            case 'r': bytes.Add((byte)'\r'); Advance(); return;
            case 'a': bytes.Add(0x07); Advance(); return;
            case 'b': bytes.Add(0x08); Advance(); return;
            case 'f': bytes.Add(0x0c); Advance(); return;
            case 'v': bytes.Add(0x0b); Advance(); return;
            case '\\': bytes.Add((byte)'\\'); Advance(); return;
            case '\'': bytes.Add((byte)'\''); Advance(); return;
            case '"': bytes.Add((byte)'"'); Advance(); return;
            case '?': bytes.Add((byte)'?'); Advance(); return;
            case 'x' or 'X':
            {
                Advance();
                if (!IsHexDigit(Peek())) throw Error(at, $"invalid escape \"\\x\": expected 1 or 2 hex digits, found {DescribeCharOrEnd()}");
                var v = 0;
                for (var i = 0; i < 2 && IsHexDigit(Peek()); i++)
                {
                    v = v * 16 + HexValue(Peek());
                    Advance();
                }
                bytes.Add((byte)v);
                return;
            }
            case >= '0' and <= '7':
            {
                var v = 0;
                for (var i = 0; i < 3 && Peek() is >= '0' and <= '7'; i++)
                {
                    v = v * 8 + (Peek() - '0');
                    Advance();
                }
                if (v > 255) throw Error(at, $"octal escape value {v} is larger than 255 (\\377)");
                bytes.Add((byte)v);
                return;
            }
            case 'u' or 'U':
            {
                var digits = c == 'u' ? 4 : 8;
                Advance();
                var v = 0;
                for (var i = 0; i < digits; i++)
                {
                    if (!IsHexDigit(Peek())) throw Error(at, $"invalid escape \"\\{c}\": expected {digits} hex digits, found {DescribeCharOrEnd()}");
                    v = v * 16 + HexValue(Peek());
                    Advance();
                }
                if (!Rune.IsValid(v)) throw Error(at, $"escape \"\\{c}{v:X}\" is not a valid Unicode scalar value");
                Span<byte> utf8 = stackalloc byte[4];
                var n = new Rune(v).EncodeToUtf8(utf8);
                for (var i = 0; i < n; i++) bytes.Add(utf8[i]);
                return;
            }
            default:
                throw Error(at, $"invalid escape \"\\{DescribeRaw(c)}\"; expected one of \\n \\t \\r \\\\ \\' \\\" \\xHH \\ooo \\uHHHH");
        }
    }

    private static bool IsLetter(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_';

    private static bool IsDigit(char c) => c is >= '0' and <= '9';

    private static bool IsHexDigit(char c) => c is (>= '0' and <= '9') or (>= 'a' and <= 'f') or (>= 'A' and <= 'F');

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    private string DescribeCharOrEnd() => AtEnd() ? "end of file" : DescribeChar(Peek());

    private static string DescribeChar(char c) => c < 0x20 || c == 0x7f || char.IsSurrogate(c)
        ? $"U+{(int)c:X4}"
        : $"'{c}'";

    private static string DescribeRaw(char c) => c < 0x20 || c == 0x7f || char.IsSurrogate(c) ? $"U+{(int)c:X4}" : c.ToString();
}
