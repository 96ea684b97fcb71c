namespace OvStateful.Core.Config.TextFormat;

internal enum TokenKind
{
    End,
    Identifier,
    /// <summary>An integer literal: decimal, 0x hex or 0-prefixed octal (no sign; '-' is a symbol).</summary>
    Integer,
    /// <summary>A literal with a '.', an exponent or an f suffix.</summary>
    Float,
    /// <summary>A quoted string; <see cref="TextToken.Text"/> is the decoded value.</summary>
    String,
    Symbol,
}

/// <summary>A token with its position. For strings <see cref="Text"/> is the decoded value; otherwise the source text.</summary>
internal readonly record struct TextToken(TokenKind Kind, string Text, TextPosition Position)
{
    public bool IsSymbol(char c) => Kind == TokenKind.Symbol && Text.Length == 1 && Text[0] == c;

    /// <summary>How an error message names this token: <c>identifier "foo"</c>, <c>'{'</c>, <c>end of file</c>.</summary>
    public string Describe() => Kind switch
    {
        TokenKind.End => "end of file",
        TokenKind.Identifier => $"identifier \"{Text}\"",
        TokenKind.Integer or TokenKind.Float => $"number {Text}",
        TokenKind.String => $"string {TextFormatStrings.Quote(Text, 40)}",
        _ => $"'{Text}'",
    };
}
