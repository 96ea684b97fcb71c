using System.Globalization;

namespace OvStateful.Cli.Charts;

/// <summary>
/// A numeric axis: linear from 0 (or from the data's round floor) to a round ceiling, or
/// logarithmic over whole decades when the values span a decade or more and are all above 0.
/// </summary>
internal sealed record Axis(double Min, double Max, bool Log)
{
    public static Axis For(IEnumerable<double> values, bool allowLog = false, bool fromZero = true)
    {
        var v = values.Where(double.IsFinite).ToList();
        if (v.Count == 0) return new Axis(0, 1, false);
        var (min, max) = (v.Min(), v.Max());
        if (allowLog && min > 0 && max / min >= 10)
            return new Axis(Math.Pow(10, Math.Floor(Math.Log10(min))), Math.Pow(10, Math.Ceiling(Math.Log10(max) - 1e-9)), true);
        if (fromZero || min <= 0)
        {
            // Four or five round steps (1, 2, 2.5 or 5 × 10^k) up to the first one at or above the largest value.
            var step = NiceCeiling(max / 5);
            return new Axis(0, max > 0 ? step * Math.Ceiling(max / step - 1e-9) : 1, false);
        }
        // Not from zero (an x axis of levels): a little room either side.
        var pad = (max - min) * 0.05 + (max == min ? Math.Max(1, max * 0.1) : 0);
        return new Axis(Math.Max(0, min - pad), max + pad, false);
    }

    /// <summary>Where <paramref name="v"/> falls, 0 at <see cref="Min"/> and 1 at <see cref="Max"/>.</summary>
    public double Fraction(double v)
    {
        if (Log) return v <= 0 ? 0 : (Math.Log10(v) - Math.Log10(Min)) / (Math.Log10(Max) - Math.Log10(Min));
        return Max > Min ? (v - Min) / (Max - Min) : 0;
    }

    /// <summary>Tick values: about five round steps on a linear axis; 1, 2, 5 × 10^k on a log axis of up to two decades, powers of 10 beyond.</summary>
    public IReadOnlyList<double> Ticks()
    {
        if (Log)
        {
            var decades = (int)Math.Round(Math.Log10(Max / Min));
            var mult = decades <= 2 ? new[] { 1.0, 2, 5 } : [1.0];
            var ticks = new List<double>();
            for (var d = Min; d <= Max * 1.0001; d *= 10)
                ticks.AddRange(mult.Select(m => m * d).Where(t => t <= Max * 1.0001));
            return ticks;
        }
        var step = NiceCeiling((Max - Min) / 5);
        var first = Math.Ceiling(Min / step) * step;
        var list = new List<double>();
        for (var t = first; t <= Max + step * 1e-9; t += step) list.Add(Math.Round(t, 9));
        return list;
    }

    /// <summary>The smallest 1, 2, 2.5 or 5 × 10^k at or above <paramref name="v"/> (axis maximum).</summary>
    public static double NiceCeiling(double v)
    {
        if (!(v > 0)) return 1;
        var exp = Math.Pow(10, Math.Floor(Math.Log10(v)));
        foreach (var m in new[] { 1, 2, 2.5, 5, 10 })
        {
            if (m * exp >= v * (1 - 1e-12)) return m * exp;
        }
        return 10 * exp;
    }

    /// <summary>Axis labels: whole numbers written out ("1000", not "1E+03") below a million, else 3 significant digits.</summary>
    public static string Tick(double v) =>
        Math.Abs(v) < 1e6 && v == Math.Round(v) ? v.ToString("F0", CultureInfo.InvariantCulture) : v.ToString("G3", CultureInfo.InvariantCulture);
}
