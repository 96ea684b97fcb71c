using System.Globalization;
using System.Xml;

namespace OvStateful.Cli.Charts;

/// <summary>One bar; a null value is drawn as "n/a" (an engine that did not run).</summary>
internal sealed record Bar(string Label, double? Value);

/// <summary>One small chart of a figure: a metric over the engines (or runs), with its unit.</summary>
internal sealed record BarPanel(string Title, string Unit, IReadOnlyList<Bar> Bars, string Format = "G4");

/// <summary>
/// A figure of bar-chart panels side by side, written as plain SVG 1.1 through
/// <see cref="XmlWriter"/> (so every label is escaped and the file is well-formed XML). Each
/// panel has its own scale starting at 0, because the metrics have different units.
/// </summary>
internal static class BarChartSvg
{
    private const double PanelWidth = 260, PanelHeight = 300, Top = 60, Bottom = 70, Left = 50, Gap = 20;
    private static readonly string[] Palette = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C"];

    public static void Write(string path, string title, IReadOnlyList<BarPanel> panels, string? footnote = null)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        using var stream = File.Create(path);
        Write(stream, title, panels, footnote);
    }

    public static void Write(Stream stream, string title, IReadOnlyList<BarPanel> panels, string? footnote = null)
    {
        var width = Gap + panels.Sum(p => WidthOf(p) + Gap);
        var height = Top + PanelHeight + Bottom + (footnote is null ? 0 : 20);
        using var w = XmlWriter.Create(stream, new XmlWriterSettings { Indent = true, Encoding = new System.Text.UTF8Encoding(false) });
        w.WriteStartDocument();
        w.WriteStartElement("svg", "http://www.w3.org/2000/svg");
        w.WriteAttributeString("version", "1.1");
        w.WriteAttributeString("width", N(width));
        w.WriteAttributeString("height", N(height));
        w.WriteAttributeString("viewBox", $"0 0 {N(width)} {N(height)}");
        w.WriteAttributeString("font-family", "sans-serif");
        Rect(w, 0, 0, width, height, "#ffffff");
        Text(w, width / 2, 28, title, 18, "middle", bold: true);

        var x0 = Gap;
        foreach (var panel in panels)
        {
            DrawPanel(w, panel, x0);
            x0 += WidthOf(panel) + Gap;
        }
        if (footnote is not null) Text(w, Gap, height - 10, footnote, 11, "start");
        w.WriteEndElement();
        w.WriteEndDocument();
    }

    /// <summary>Panels widen with their bar count so that every bar keeps about 22 px (time series have many).</summary>
    private static double WidthOf(BarPanel panel) => Math.Max(PanelWidth, Left + 10 + 22 * panel.Bars.Count);

    private static void DrawPanel(XmlWriter w, BarPanel panel, double x0)
    {
        var panelWidth = WidthOf(panel);
        var plotLeft = x0 + Left;
        var plotWidth = panelWidth - Left - 10;
        var plotTop = Top + 20;
        var plotHeight = PanelHeight - 20;
        var baseY = plotTop + plotHeight;
        Text(w, x0 + panelWidth / 2, Top + 4, $"{panel.Title} ({panel.Unit})", 13, "middle", bold: true);

        var max = panel.Bars.Where(b => b.Value is { } v && double.IsFinite(v)).Select(b => b.Value!.Value).DefaultIfEmpty(0).Max();
        var scale = NiceCeiling(max);
        // Grid lines and tick labels at quarters of the scale.
        for (var t = 0; t <= 4; t++)
        {
            var y = baseY - plotHeight * t / 4;
            Line(w, plotLeft, y, plotLeft + plotWidth, y, t == 0 ? "#333333" : "#dddddd");
            Text(w, plotLeft - 4, y + 4, Tick(scale * t / 4), 10, "end");
        }

        var n = Math.Max(1, panel.Bars.Count);
        var slot = plotWidth / n;
        var barWidth = Math.Min(60, slot * 0.7);
        for (var i = 0; i < panel.Bars.Count; i++)
        {
            var bar = panel.Bars[i];
            var cx = plotLeft + slot * (i + 0.5);
            if (bar.Value is { } v && double.IsFinite(v))
            {
                var h = scale > 0 ? plotHeight * Math.Max(0, v) / scale : 0;
                w.WriteStartElement("rect");
                Attr(w, "x", cx - barWidth / 2); Attr(w, "y", baseY - h); Attr(w, "width", barWidth); Attr(w, "height", h);
                w.WriteAttributeString("fill", Palette[i % Palette.Length]);
                w.WriteElementString("title", "http://www.w3.org/2000/svg", $"{bar.Label}: {v.ToString(panel.Format, CultureInfo.InvariantCulture)} {panel.Unit}");
                w.WriteEndElement();
                // Values above narrow bars would overlap; their <title> still carries the value.
                if (slot >= 36) Text(w, cx, baseY - h - 4, v.ToString(panel.Format, CultureInfo.InvariantCulture), 10, "middle");
            }
            else
            {
                Text(w, cx, baseY - 6, "n/a", 11, "middle", fill: "#999999");
            }
            // Labels turned 30° so long engine names stay readable under narrow bars.
            w.WriteStartElement("text");
            Attr(w, "x", cx); Attr(w, "y", baseY + 14);
            w.WriteAttributeString("font-size", "11");
            w.WriteAttributeString("text-anchor", "end");
            w.WriteAttributeString("transform", $"rotate(-30 {N(cx)} {N(baseY + 14)})");
            w.WriteString(bar.Label);
            w.WriteEndElement();
        }
    }

    /// <summary>The smallest 1, 2, 2.5 or 5 × 10^k at or above <paramref name="v"/> (axis maximum).</summary>
    public static double NiceCeiling(double v)
    {
        if (!(v > 0)) return 1;
        var exp = Math.Pow(10, Math.Floor(Math.Log10(v)));
        foreach (var m in new[] { 1, 2, 2.5, 5, 10 })
        {
            if (m * exp >= v) return m * exp;
        }
        return 10 * exp;
    }

    /// <summary>Axis labels: whole numbers written out ("1000", not "1E+03") below a million.</summary>
    public static string Tick(double v) =>
        Math.Abs(v) < 1e6 && v == Math.Round(v) ? v.ToString("F0", CultureInfo.InvariantCulture) : v.ToString("G3", CultureInfo.InvariantCulture);

    private static void Rect(XmlWriter w, double x, double y, double width, double height, string fill)
    {
        w.WriteStartElement("rect");
        Attr(w, "x", x); Attr(w, "y", y); Attr(w, "width", width); Attr(w, "height", height);
        w.WriteAttributeString("fill", fill);
        w.WriteEndElement();
    }

    private static void Line(XmlWriter w, double x1, double y1, double x2, double y2, string stroke)
    {
        w.WriteStartElement("line");
        Attr(w, "x1", x1); Attr(w, "y1", y1); Attr(w, "x2", x2); Attr(w, "y2", y2);
        w.WriteAttributeString("stroke", stroke);
        w.WriteEndElement();
    }

    private static void Text(XmlWriter w, double x, double y, string text, int size, string anchor, bool bold = false, string fill = "#222222")
    {
        w.WriteStartElement("text");
        Attr(w, "x", x); Attr(w, "y", y);
        w.WriteAttributeString("font-size", size.ToString(CultureInfo.InvariantCulture));
        w.WriteAttributeString("text-anchor", anchor);
        w.WriteAttributeString("fill", fill);
        if (bold) w.WriteAttributeString("font-weight", "bold");
        w.WriteString(text);
        w.WriteEndElement();
    }

    private static void Attr(XmlWriter w, string name, double v) => w.WriteAttributeString(name, N(v));
    private static string N(double v) => Math.Round(v, 2).ToString(CultureInfo.InvariantCulture);
}
