using System.Buffers.Text;

namespace OvStateful.Server.Http;

/// <summary>
/// JSON numbers as FP64 or FP32, bit for bit what <see cref="Utf8Parser"/> (and
/// <c>double.Parse</c>/<c>float.Parse</c>, invariant culture) gives, but fast for the short
/// decimals clients send (a float printed with 9 significant digits, "R", "G9", "E"):
/// the digits go into a 64-bit mantissa with a decimal exponent, and when the mantissa is
/// at most 2^53 and the exponent within ±22, one multiply or divide by an exact power of
/// ten is correctly rounded (Clinger's fast path). FP32 goes through that double: rounding
/// twice can only differ from rounding once when the double is exactly halfway between two
/// floats, so that case (and float subnormals) goes to the runtime parser, as does every
/// text outside the fast path (long mantissas, large exponents, 1e39).
/// </summary>
internal static class DecimalFloatParser
{
    /// <summary>10^0 … 10^22: every one is exact as a double (10^22 = 2^22 · 5^22, 5^22 &lt; 2^53).</summary>
    private static readonly double[] ExactPowers =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// <summary>Largest mantissa a double holds exactly (every integer up to it is exact).</summary>
    private const ulong MaxExactMantissa = 1UL << 53;

    /// <summary>The smallest normal float, 2^-126: below it floats are subnormal and their midpoints are not where <see cref="IsFloatMidpoint"/> looks.</summary>
    private const double MinNormalSingle = 1.1754943508222875e-38;

    /// <summary><paramref name="text"/> (the whole span) as the nearest double; false when it is no number (Infinity for one beyond the range, as the runtime gives).</summary>
    public static bool TryParseDouble(ReadOnlySpan<byte> text, out double value) =>
        (TryFast(text, out value, out var consumed) && consumed == text.Length) || Runtime(text, out value);

    /// <summary><paramref name="text"/> (the whole span) as the nearest float, rounded once; false when it is no number.</summary>
    public static bool TryParseSingle(ReadOnlySpan<byte> text, out float value)
    {
        if (TryFast(text, out var d, out var consumed) && consumed == text.Length && IsSafeForSingle(d))
        {
            value = (float)d;
            return true;
        }
        return Runtime(text, out value);
    }

    /// <summary>The number <paramref name="text"/> starts with, as <see cref="TryParseDouble"/> reads it, and its length.</summary>
    public static bool TryReadDouble(ReadOnlySpan<byte> text, out double value, out int consumed)
    {
        if (TryFast(text, out value, out consumed)) return true;
        consumed = NumberLength(text);
        return Runtime(text[..consumed], out value);
    }

    /// <summary>The number <paramref name="text"/> starts with, as <see cref="TryParseSingle"/> reads it, and its length.</summary>
    public static bool TryReadSingle(ReadOnlySpan<byte> text, out float value, out int consumed)
    {
        if (TryFast(text, out var d, out consumed) && IsSafeForSingle(d))
        {
            value = (float)d;
            return true;
        }
        consumed = NumberLength(text);
        return Runtime(text[..consumed], out value);
    }

    private static bool Runtime(ReadOnlySpan<byte> text, out double value) => Utf8Parser.TryParse(text, out value, out var used) && used == text.Length;

    private static bool Runtime(ReadOnlySpan<byte> text, out float value) => Utf8Parser.TryParse(text, out value, out var used) && used == text.Length;

    /// <summary>The bytes a number's text can take from its start: digits, '.', exponent and signs.</summary>
    private static int NumberLength(ReadOnlySpan<byte> text)
    {
        var i = 0;
        while (i < text.Length && ((uint)(text[i] - '0') <= 9 || text[i] is (byte)'.' or (byte)'e' or (byte)'E' or (byte)'+' or (byte)'-')) i++;
        return i;
    }

    /// <summary>
    /// Whether the float nearest <paramref name="d"/> (a correctly rounded double) is the float
    /// nearest the decimal it came from: float midpoints are doubles, so rounding to the double
    /// cannot cross one, only land on one.
    /// </summary>
    private static bool IsSafeForSingle(double d)
    {
        if (d == 0) return true;
        var a = Math.Abs(d);
        return a >= MinNormalSingle && a <= float.MaxValue && !IsFloatMidpoint(a);
    }

    /// <summary>For a double in the range of normal floats: its 29 mantissa bits below a float's are exactly one half of a float's last place.</summary>
    private static bool IsFloatMidpoint(double a) => (BitConverter.DoubleToUInt64Bits(a) & ((1UL << 29) - 1)) == 1UL << 28;

    /// <summary>Clinger's fast path for the JSON number <paramref name="text"/> starts with (<paramref name="consumed"/> bytes); false (nothing decided) for any it does not cover.</summary>
    private static bool TryFast(ReadOnlySpan<byte> text, out double value, out int consumed)
    {
        value = 0;
        consumed = 0;
        var i = 0;
        var negative = false;
        if (i < text.Length && text[i] == '-')
        {
            negative = true;
            i++;
        }
        ulong mantissa = 0;
        // Digits in the mantissa from its first non-zero one; past 19 a ulong could overflow.
        var significant = 0;
        var exponent = 0;
        var start = i;
        while (i < text.Length && (uint)(text[i] - '0') <= 9)
        {
            if (!Append(ref mantissa, ref significant, text[i])) return false;
            i++;
        }
        if (i == start) return false;
        if (i < text.Length && text[i] == '.')
        {
            i++;
            var fraction = i;
            while (i < text.Length && (uint)(text[i] - '0') <= 9)
            {
                if (!Append(ref mantissa, ref significant, text[i])) return false;
                exponent--;
                i++;
            }
            if (i == fraction) return false;
        }
        if (i < text.Length && (text[i] | 0x20) == 'e')
        {
            i++;
            var negativeExponent = false;
            if (i < text.Length && text[i] is (byte)'+' or (byte)'-')
            {
                negativeExponent = text[i] == '-';
                i++;
            }
            var digits = i;
            var e = 0;
            while (i < text.Length && (uint)(text[i] - '0') <= 9)
            {
                // Beyond five digits the exponent is out of every range here: the runtime parser decides.
                if (i - digits == 5) return false;
                e = e * 10 + (text[i] - '0');
                i++;
            }
            if (i == digits) return false;
            exponent += negativeExponent ? -e : e;
        }
        // Where the number ends; a byte that could still continue it (a second '.', a sign) is the runtime parser's to judge.
        if (i < text.Length && text[i] is (byte)'.' or (byte)'e' or (byte)'E' or (byte)'+' or (byte)'-') return false;
        consumed = i;
        if (mantissa == 0)
        {
            value = negative ? -0.0 : 0.0;
            return true;
        }
        if (mantissa > MaxExactMantissa) return false;
        double d = mantissa;
        if (exponent >= 0)
        {
            if (exponent >= ExactPowers.Length) return false;
            d *= ExactPowers[exponent];
        }
        else
        {
            if (-exponent >= ExactPowers.Length) return false;
            d /= ExactPowers[-exponent];
        }
        value = negative ? -d : d;
        return true;
    }

    /// <summary>One more decimal digit into the mantissa; false once it would hold more than 19 significant digits.</summary>
    private static bool Append(ref ulong mantissa, ref int significant, byte digit)
    {
        if (mantissa != 0 || digit != '0')
        {
            if (significant == 19) return false;
            significant++;
        }
        mantissa = mantissa * 10 + (uint)(digit - '0');
        return true;
    }
}
