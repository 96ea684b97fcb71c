using System.Text;

namespace OvStateful.Server.Hosting;

/// <summary>Triton's start-up tables: +---+ rules, a header row, one row per item, cells padded to the widest.</summary>
internal static class TextTable
{
    public static string Render(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = rows.ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => i < r.Count ? r[i].Length : 0))).ToArray();
        var rule = "+" + string.Join("+", widths.Select(w => new string('-', w + 2))) + "+";
        var sb = new StringBuilder().AppendLine(rule);
        void Row(IReadOnlyList<string> cells) =>
            sb.Append("| ").Append(string.Join(" | ", widths.Select((w, i) => (i < cells.Count ? cells[i] : "").PadRight(w)))).AppendLine(" |");
        Row(header);
        sb.AppendLine(rule);
        foreach (var r in all) Row(r);
        return sb.Append(rule).ToString();
    }
}
