using System.Globalization;
using System.Xml;

namespace OvStateful.Cli.Charts;

/// <summary>
/// Plain SVG 1.1 through <see cref="XmlWriter"/>: every label is escaped and the file is
/// well-formed XML, viewable in any browser and rendered to PNG by librsvg in the tests.
/// Coordinates in pixels, y downwards.
/// </summary>
internal sealed class SvgCanvas : IDisposable
{
    private readonly XmlWriter _w;

    public SvgCanvas(Stream stream, double width, double height)
    {
        _w = XmlWriter.Create(stream, new XmlWriterSettings { Indent = true, Encoding = new System.Text.UTF8Encoding(false) });
        _w.WriteStartDocument();
        _w.WriteStartElement("svg", "http://www.w3.org/2000/svg");
        _w.WriteAttributeString("version", "1.1");
        _w.WriteAttributeString("width", N(width));
        _w.WriteAttributeString("height", N(height));
        _w.WriteAttributeString("viewBox", $"0 0 {N(width)} {N(height)}");
        _w.WriteAttributeString("font-family", "DejaVu Sans, Verdana, sans-serif");
        Rect(0, 0, width, height, "#ffffff");
    }

    /// <param name="tooltip">A &lt;title&gt; child: the exact value, shown on hover.</param>
    public void Rect(double x, double y, double width, double height, string fill, double opacity = 1, string? tooltip = null)
    {
        _w.WriteStartElement("rect");
        Attr("x", x); Attr("y", y); Attr("width", Math.Max(0, width)); Attr("height", Math.Max(0, height));
        _w.WriteAttributeString("fill", fill);
        if (opacity < 1) Attr("fill-opacity", opacity);
        if (tooltip is not null) _w.WriteElementString("title", "http://www.w3.org/2000/svg", tooltip);
        _w.WriteEndElement();
    }

    public void Line(double x1, double y1, double x2, double y2, string stroke, double width = 1, bool dashed = false)
    {
        _w.WriteStartElement("line");
        Attr("x1", x1); Attr("y1", y1); Attr("x2", x2); Attr("y2", y2);
        _w.WriteAttributeString("stroke", stroke);
        if (width != 1) Attr("stroke-width", width);
        if (dashed) _w.WriteAttributeString("stroke-dasharray", "5 3");
        _w.WriteEndElement();
    }

    public void Polyline(IReadOnlyList<(double X, double Y)> points, string stroke, double width = 2, bool dashed = false)
    {
        if (points.Count < 2) return;
        _w.WriteStartElement("polyline");
        _w.WriteAttributeString("points", string.Join(" ", points.Select(p => $"{N(p.X)},{N(p.Y)}")));
        _w.WriteAttributeString("fill", "none");
        _w.WriteAttributeString("stroke", stroke);
        Attr("stroke-width", width);
        _w.WriteAttributeString("stroke-linejoin", "round");
        if (dashed) _w.WriteAttributeString("stroke-dasharray", "6 4");
        _w.WriteEndElement();
    }

    public void Circle(double cx, double cy, double r, string fill, string? tooltip = null)
    {
        _w.WriteStartElement("circle");
        Attr("cx", cx); Attr("cy", cy); Attr("r", r);
        _w.WriteAttributeString("fill", fill);
        if (tooltip is not null) _w.WriteElementString("title", "http://www.w3.org/2000/svg", tooltip);
        _w.WriteEndElement();
    }

    /// <param name="rotate">Degrees about (x, y), e.g. −90 for a vertical axis title.</param>
    public void Text(double x, double y, string text, double size, string anchor = "start", bool bold = false, string fill = "#222222", double rotate = 0, bool italic = false)
    {
        _w.WriteStartElement("text");
        Attr("x", x); Attr("y", y);
        Attr("font-size", size);
        _w.WriteAttributeString("text-anchor", anchor);
        _w.WriteAttributeString("fill", fill);
        if (bold) _w.WriteAttributeString("font-weight", "bold");
        if (italic) _w.WriteAttributeString("font-style", "italic");
        if (rotate != 0) _w.WriteAttributeString("transform", $"rotate({N(rotate)} {N(x)} {N(y)})");
        _w.WriteString(text);
        _w.WriteEndElement();
    }

    /// <summary>A rough width of <paramref name="text"/> at <paramref name="size"/> px in a sans-serif font (0.6 em a character), for fitting titles.</summary>
    public static double TextWidth(string text, double size) => text.Length * size * 0.6;

    public void Dispose()
    {
        _w.WriteEndElement();
        _w.WriteEndDocument();
        _w.Dispose();
    }

    private void Attr(string name, double v) => _w.WriteAttributeString(name, N(v));
    public static string N(double v) => Math.Round(v, 2).ToString(CultureInfo.InvariantCulture);
}
