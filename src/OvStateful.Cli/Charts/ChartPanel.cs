namespace OvStateful.Cli.Charts;

/// <summary>
/// One chart of a figure: a title, a y axis titled with its unit and which way is better, and
/// the plot area that <see cref="DrawPlot"/> fills.
/// </summary>
/// <param name="YTitle">The y axis title with its unit, e.g. "throughput (steps/s)".</param>
/// <param name="Better">"higher is better", "lower is better", or null when neither is.</param>
internal abstract record ChartPanel(string Title, string YTitle, string? Better)
{
    public const double Left = 66, Right = 14, Top = 44, Bottom = 52;
    public static readonly string[] Palette = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C"];

    public void Draw(SvgCanvas c, double x, double y, double width, double height)
    {
        c.Rect(x, y, width, height, "#fafafa");
        c.Text(x + width / 2, y + 18, Figure.Fit(Title, width - 10, 13), 13, "middle", bold: true);
        if (Better is not null) c.Text(x + width / 2, y + 34, Better, 11, "middle", fill: "#555555", italic: true);
        var plot = new PlotArea(x + Left, y + Top, width - Left - Right, height - Top - Bottom);
        c.Text(x + 14, plot.Top + plot.Height / 2, Figure.Fit(YTitle, plot.Height, 11), 11, "middle", rotate: -90);
        DrawPlot(c, plot);
    }

    protected abstract void DrawPlot(SvgCanvas c, PlotArea plot);

    /// <summary>Horizontal grid lines and labels of a y axis.</summary>
    protected static void DrawYAxis(SvgCanvas c, PlotArea plot, Axis y)
    {
        foreach (var t in y.Ticks())
        {
            var py = plot.Y(y, t);
            c.Line(plot.Left, py, plot.Right, py, t == y.Min ? "#333333" : "#dddddd");
            c.Text(plot.Left - 4, py + 4, Axis.Tick(t), 10, "end");
        }
        c.Line(plot.Left, plot.Top, plot.Left, plot.Bottom, "#333333");
    }
}

/// <summary>The plot area of a panel, in canvas pixels.</summary>
internal readonly record struct PlotArea(double Left, double Top, double Width, double Height)
{
    public double Right => Left + Width;
    public double Bottom => Top + Height;
    public double X(Axis axis, double v) => Left + Width * Math.Clamp(axis.Fraction(v), 0, 1);
    public double Y(Axis axis, double v) => Bottom - Height * Math.Clamp(axis.Fraction(v), 0, 1);
}
