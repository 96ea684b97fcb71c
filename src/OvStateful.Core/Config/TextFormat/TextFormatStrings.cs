using System.Globalization;
using System.Text;

namespace OvStateful.Core.Config.TextFormat;

/// <summary>Quoting of strings for text format output and for error messages.</summary>
internal static class TextFormatStrings
{
    /// <summary>A double-quoted text-format literal; non-ASCII characters are kept as they are (the file is UTF-8).</summary>
    public static string Quote(string value, int maxChars = int.MaxValue)
    {
        var sb = new StringBuilder(value.Length + 2);
        sb.Append('"');
        var n = 0;
        foreach (var c in value)
        {
            if (n++ == maxChars) { sb.Append("..."); break; }
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20 || c == 0x7f) sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
        return sb.ToString();
    }
}
