using System.Globalization;

namespace OvStateful.Cli.Charts;

/// <summary>One bar; a null value is drawn as "n/a" (an engine that did not run). Low–High, when given, is an error bar; Note (lines split by \n) is written above it.</summary>
internal sealed record Bar(string Label, double? Value, double? Low = null, double? High = null, string? Note = null);

/// <summary>Bars from 0 with error bars and a note above each (a value, a ratio), categories named under them.</summary>
internal sealed record BarPanel(string Title, string YTitle, string? Better, IReadOnlyList<Bar> Bars, string Format = "G4") : ChartPanel(Title, YTitle, Better)
{
    protected override void DrawPlot(SvgCanvas c, PlotArea plot)
    {
        // Headroom above the tallest bar for its value and note.
        var y = Axis.For(Bars.SelectMany(b => new[] { b.Value, b.High }).Where(v => v is not null).Select(v => v!.Value * 1.25).DefaultIfEmpty(0));
        DrawYAxis(c, plot, y);
        var n = Math.Max(1, Bars.Count);
        var slot = plot.Width / n;
        var width = Math.Min(70, slot * 0.6);
        for (var i = 0; i < Bars.Count; i++)
        {
            var bar = Bars[i];
            var cx = plot.Left + slot * (i + 0.5);
            if (bar.Value is { } v && double.IsFinite(v))
            {
                var top = plot.Y(y, Math.Max(0, v));
                var text = v.ToString(Format, CultureInfo.InvariantCulture);
                c.Rect(cx - width / 2, top, width, plot.Bottom - top, Palette[i % Palette.Length], tooltip: $"{bar.Label}: {text}");
                var above = top;
                if (bar.Low is { } lo && bar.High is { } hi)
                {
                    var (yl, yh) = (plot.Y(y, lo), plot.Y(y, hi));
                    c.Line(cx, yl, cx, yh, "#222222", 1.5);
                    c.Line(cx - 6, yl, cx + 6, yl, "#222222", 1.5);
                    c.Line(cx - 6, yh, cx + 6, yh, "#222222", 1.5);
                    above = Math.Min(above, yh);
                }
                c.Text(cx, above - 4, text, 10, "middle");
                // A note may have several lines ("\n"), the last just above the value.
                var notes = bar.Note?.Split('\n') ?? [];
                for (var k = 0; k < notes.Length; k++)
                    c.Text(cx, above - 16 - 11 * (notes.Length - 1 - k), Figure.Fit(notes[k], slot - 2, 9), 9, "middle", bold: true, fill: "#333333");
            }
            else
            {
                c.Text(cx, plot.Bottom - 6, "n/a", 11, "middle", fill: "#999999");
            }
            c.Text(cx, plot.Bottom + 16, Figure.Fit(bar.Label, slot - 2, 11), 11, "middle");
        }
    }
}
