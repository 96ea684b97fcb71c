namespace OvStateful.Cli.Charts;

/// <summary>A line of points; <see cref="Labels"/> (optional, one a point) are written beside them.</summary>
internal sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points, bool Dashed = false, IReadOnlyList<string>? Labels = null);

/// <summary>A shaded stretch of the x axis (the warm-up, the windows measured), labelled at its top.</summary>
internal sealed record Shade(double From, double To, string Label, string Fill);

/// <summary>
/// Lines over a numeric x axis (logarithmic when the x values span a decade or more and
/// <see cref="AllowLogX"/>), y from 0, markers at every point, a legend when there are several
/// lines, and shaded stretches behind them.
/// </summary>
internal sealed record LinePanel(string Title, string XTitle, string YTitle, string? Better, IReadOnlyList<Series> Lines,
    bool AllowLogX = false, IReadOnlyList<Shade>? Shades = null) : ChartPanel(Title, YTitle, Better)
{
    protected override void DrawPlot(SvgCanvas c, PlotArea plot)
    {
        var xs = Lines.SelectMany(l => l.Points.Select(p => p.X)).Concat(Shades?.SelectMany(s => new[] { s.From, s.To }) ?? []).ToList();
        var x = Axis.For(xs, AllowLogX, fromZero: false);
        var y = Axis.For(Lines.SelectMany(l => l.Points.Select(p => p.Y)));
        foreach (var s in Shades ?? [])
        {
            var (x0, x1) = (plot.X(x, s.From), plot.X(x, s.To));
            c.Rect(x0, plot.Top, x1 - x0, plot.Height, s.Fill, 0.5);
            c.Text((x0 + x1) / 2, plot.Top + 12, Figure.Fit(s.Label, Math.Max(30, x1 - x0), 10), 10, "middle", fill: "#555555");
        }
        DrawYAxis(c, plot, y);
        foreach (var t in x.Ticks())
        {
            var px = plot.X(x, t);
            c.Line(px, plot.Bottom, px, plot.Bottom + 4, "#333333");
            c.Text(px, plot.Bottom + 16, Axis.Tick(t), 10, "middle");
        }
        c.Text(plot.Left + plot.Width / 2, plot.Bottom + 36, XTitle + (x.Log ? " (log scale)" : ""), 11, "middle");
        var drawn = Lines.Select(l => l.Points.Select(p => (plot.X(x, p.X), plot.Y(y, p.Y))).ToList()).ToList();
        for (var i = 0; i < Lines.Count; i++)
        {
            var line = Lines[i];
            var colour = Palette[i % Palette.Length];
            var points = drawn[i];
            c.Polyline(points, colour, 2, line.Dashed);
            for (var k = 0; k < points.Count; k++)
            {
                c.Circle(points[k].Item1, points[k].Item2, 3, colour, $"{line.Name}: {Axis.Tick(line.Points[k].X)}, {line.Points[k].Y.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)}");
                if (line.Labels is { } labels && k < labels.Count) c.Text(points[k].Item1 + 5, points[k].Item2 - 6, labels[k], 9, fill: "#444444");
            }
        }
        if (Lines.Count > 1)
        {
            // Top right, unless a line runs through that corner and not through the top left (rising latency curves end top right).
            var (width, height) = (110.0, 15.0 * Lines.Count + 6);
            var lx = Crosses(drawn, plot.Right - width, plot.Right, plot.Top, plot.Top + height) && !Crosses(drawn, plot.Left + 4, plot.Left + 4 + width, plot.Top, plot.Top + height)
                ? plot.Left + 8
                : plot.Right - width;
            var ly = plot.Top + 4;
            foreach (var (line, i) in Lines.Select((l, i) => (l, i)))
            {
                c.Line(lx, ly + 8, lx + 18, ly + 8, Palette[i % Palette.Length], 2, line.Dashed);
                c.Text(lx + 22, ly + 12, Figure.Fit(line.Name, 86, 10), 10);
                ly += 15;
            }
        }
    }

    /// <summary>Whether any line (pixel points, x rising) passes through the box, sampled along each segment.</summary>
    private static bool Crosses(IEnumerable<List<(double X, double Y)>> lines, double x0, double x1, double y0, double y1)
    {
        foreach (var points in lines)
            for (var k = 0; k < points.Count; k++)
            {
                var (a, b) = (points[k], points[Math.Min(k + 1, points.Count - 1)]);
                for (var t = 0.0; t <= 1.0; t += 0.05)
                {
                    var (px, py) = (a.X + (b.X - a.X) * t, a.Y + (b.Y - a.Y) * t);
                    if (px >= x0 && px <= x1 && py >= y0 && py <= y1) return true;
                }
            }
        return false;
    }
}
