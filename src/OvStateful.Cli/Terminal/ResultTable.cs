using Spectre.Console;

namespace OvStateful.Cli.Terminal;

/// <summary>
/// A table of results that fits the terminal: a bordered table when its widest row fits the
/// console's width, else one block per row (the first cell as its heading, then "column: value"
/// lines), so no number is ever wrapped. Redirected output gets tab-separated lines: a header,
/// then a row per line, no borders, padding or colour.
/// </summary>
internal static class ResultTable
{
    public static void Write(IAnsiConsole console, bool plain, string title, IReadOnlyList<string> header, IReadOnlyList<IReadOnlyList<string>> rows, string? caption = null)
    {
        if (plain)
        {
            console.Profile.Out.Writer.WriteLine(title);
            console.Profile.Out.Writer.WriteLine(string.Join("\t", header));
            foreach (var r in rows) console.Profile.Out.Writer.WriteLine(string.Join("\t", r));
            if (caption is not null) console.Profile.Out.Writer.WriteLine(caption);
            return;
        }
        if (NaturalWidth(header, rows) <= console.Profile.Width)
        {
            var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(title));
            foreach (var h in header) table.AddColumn(new TableColumn(Markup.Escape(h)).RightAligned().NoWrap());
            table.Columns[0].LeftAligned();
            foreach (var r in rows) table.AddRow(r.Select(Markup.Escape).ToArray());
            if (caption is not null) table.Caption(Markup.Escape(caption));
            console.Write(table);
            return;
        }
        console.WriteLine(title);
        var keyWidth = header.Skip(1).Max(h => h.Length);
        foreach (var r in rows)
        {
            console.MarkupLine($"[bold]{Markup.Escape(r[0])}[/]");
            for (var i = 1; i < header.Count; i++)
            {
                if (i < r.Count && r[i].Length > 0) console.WriteLine($"  {header[i].PadRight(keyWidth)}  {r[i]}");
            }
        }
        if (caption is not null) console.WriteLine(caption);
    }

    /// <summary>Characters a rounded Spectre table needs: each cell's widest text plus " │ " between cells and the outer borders.</summary>
    public static int NaturalWidth(IReadOnlyList<string> header, IReadOnlyList<IReadOnlyList<string>> rows) =>
        header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => i < r.Count ? r[i].Length : 0)) + 3).Sum() + 1;
}
