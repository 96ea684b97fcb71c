using System.Globalization;
using OvStateful.Cli.Workloads;

namespace OvStateful.Cli.Reports;

/// <summary>
/// An engine's throughput over the reference engine's: the mean over rounds of the two
/// rounds' ratio, and an interval from the window extremes of each round (this engine's
/// slowest window over the reference's fastest, and the other way round). An interval that
/// holds 1.0 is no measurable difference: the two differ less than each varies.
/// </summary>
internal sealed record ThroughputRatio(string Against, double Ratio, double Low, double High)
{
    public bool Measurable => !(Low <= 1 && High >= 1);

    public string Text => Measurable
        ? string.Create(CultureInfo.InvariantCulture, $"{Ratio:F2}× ({Low:F2}–{High:F2})")
        : string.Create(CultureInfo.InvariantCulture, $"no measurable difference ({Low:F2}–{High:F2})");

    /// <summary>Rounds pair up in order (round r of each); a one-pass round's extremes are its own throughput.</summary>
    public static ThroughputRatio Between(IReadOnlyList<EngineMeasurement> engine, IReadOnlyList<EngineMeasurement> reference, string against)
    {
        var n = Math.Min(engine.Count, reference.Count);
        double sum = 0, low = double.PositiveInfinity, high = 0;
        for (var r = 0; r < n; r++)
        {
            var (e, eMin, eMax) = Figures(engine[r].Result!);
            var (f, fMin, fMax) = Figures(reference[r].Result!);
            sum += f > 0 ? e / f : 0;
            low = Math.Min(low, fMax > 0 ? eMin / fMax : 0);
            high = Math.Max(high, fMin > 0 ? eMax / fMin : double.PositiveInfinity);
        }
        return new ThroughputRatio(against, n > 0 ? sum / n : 0, n > 0 ? low : 0, n > 0 ? high : 0);
    }

    private static (double Value, double Min, double Max) Figures(WorkloadResult r) =>
        r.Windowed is { } w ? (w.StepsPerSecond, w.StepsPerSecondMin, w.StepsPerSecondMax) : (r.StepsPerSecond, r.StepsPerSecond, r.StepsPerSecond);
}
