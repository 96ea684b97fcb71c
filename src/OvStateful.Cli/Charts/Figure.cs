namespace OvStateful.Cli.Charts;

/// <summary>
/// A figure of chart panels in a grid (at most three a row, four as 2 × 2), with a title that fits: it
/// shrinks to 11 px and then wraps onto a second line instead of running off the canvas.
/// </summary>
internal static class Figure
{
    public const double PanelWidth = 440, PanelHeight = 330, Gap = 16;

    public static void Write(string path, string title, IReadOnlyList<ChartPanel> panels, string? footnote = null)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        using var stream = File.Create(path);
        Write(stream, title, panels, footnote);
    }

    public static void Write(Stream stream, string title, IReadOnlyList<ChartPanel> panels, string? footnote = null)
    {
        // Four panels as 2 × 2, else up to three a row.
        var columns = panels.Count == 4 ? 2 : Math.Max(1, Math.Min(3, panels.Count));
        var rows = (panels.Count + columns - 1) / columns;
        var width = Gap + columns * (PanelWidth + Gap);
        var (lines, size) = FitTitle(title, width - 2 * Gap);
        var top = 14 + lines.Count * (size + 6);
        var height = top + rows * (PanelHeight + Gap) + (footnote is null ? 0 : 22);
        using var c = new SvgCanvas(stream, width, height);
        for (var i = 0; i < lines.Count; i++) c.Text(width / 2, 10 + (i + 1) * (size + 4), lines[i], size, "middle", bold: true);
        for (var i = 0; i < panels.Count; i++)
        {
            var x = Gap + i % columns * (PanelWidth + Gap);
            var y = top + i / columns * (PanelHeight + Gap);
            panels[i].Draw(c, x, y, PanelWidth, PanelHeight);
        }
        if (footnote is not null) c.Text(Gap, height - 8, Fit(footnote, width - 2 * Gap, 11), 11);
    }

    /// <summary>The title at 16 px if it fits, else smaller down to 11 px, else wrapped onto two lines (the second cut with "…" if it must be).</summary>
    public static (List<string> Lines, double Size) FitTitle(string title, double width)
    {
        for (var size = 16.0; size >= 11; size--)
        {
            if (SvgCanvas.TextWidth(title, size) <= width) return ([title], size);
        }
        const double small = 11;
        var words = title.Split(' ');
        var first = "";
        var i = 0;
        for (; i < words.Length; i++)
        {
            var next = first.Length == 0 ? words[i] : first + " " + words[i];
            if (SvgCanvas.TextWidth(next, small) > width && first.Length > 0) break;
            first = next;
        }
        return ([Fit(first, width, small), Fit(string.Join(" ", words.Skip(i)), width, small)], small);
    }

    /// <summary><paramref name="text"/>, cut with "…" to fit <paramref name="width"/> px at <paramref name="size"/>.</summary>
    public static string Fit(string text, double width, double size)
    {
        var most = (int)(width / (size * 0.6));
        return text.Length <= most ? text : text[..Math.Max(1, most - 1)] + "…";
    }
}
