namespace OvStateful.Cli.Remote;

/// <summary>
/// FP32 values as JSON numbers that read back as the same float, made with a few double and
/// integer operations instead of the runtime's shortest round-trip formatting (the load
/// generator's main cost with JSON tensors: 512 floats a Silero step). Nine significant
/// digits always round-trip a float: half a unit in the ninth digit is at most 5e-9 of the
/// value, a float's half ulp at least 2^-25 ≈ 3e-8 of it, so the rounding error of scaling by
/// a power of ten in double (about 1e-16 of it) cannot matter. Trailing zeros are dropped.
/// </summary>
internal static class Fp32Text
{
    /// <summary>The longest text <see cref="Format"/> writes: "-0.0000123456789" (and "-1.23456789e-45", one shorter).</summary>
    public const int MaxLength = 16;

    /// <summary>10^-31 … 10^54 (index − <see cref="PowerBias"/>), each the double nearest it: what brings any finite float's nine digits in front of the point.</summary>
    private static readonly double[] Powers = Enumerable.Range(-31, 86).Select(k => double.Parse($"1e{k}", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    private const int PowerBias = 31;

    /// <summary>Writes finite <paramref name="f"/> into <paramref name="into"/> (at least <see cref="MaxLength"/> bytes); returns the bytes written.</summary>
    public static int Format(float f, Span<byte> into)
    {
        if (!float.IsFinite(f)) throw new ArgumentOutOfRangeException(nameof(f), f, "JSON numbers are finite");
        var n = 0;
        if (float.IsNegative(f)) into[n++] = (byte)'-';
        double d = Math.Abs(f);
        if (d == 0)
        {
            into[n++] = (byte)'0';
            return n;
        }
        // The first digit's decimal exponent is floor(log10 2^e2) or one more, for the binary exponent e2
        // (78913 / 2^18 is log10 2 closely enough for every exponent here).
        var binaryExponent = (int)((BitConverter.DoubleToUInt64Bits(d) >> 52) & 0x7FF) - 1023;
        var exponent = (binaryExponent * 78913) >> 18;
        var digits = Scaled(d, exponent + 1);
        if (digits >= 100_000_000) exponent++;
        else digits = Scaled(d, exponent);
        if (digits == 1_000_000_000)
        {
            // Rounded up to the next power of ten.
            digits = 100_000_000;
            exponent++;
        }
        var count = 9;
        while (digits % 10 == 0)
        {
            digits /= 10;
            count--;
        }
        Span<byte> text = stackalloc byte[9];
        for (var k = count - 1; k >= 0; k--, digits /= 10) text[k] = (byte)('0' + (int)(digits % 10));
        var shown = text[..count];
        if (exponent is >= -5 and < 0)
        {
            // 0.000ddd
            into[n++] = (byte)'0';
            into[n++] = (byte)'.';
            for (var z = -1; z > exponent; z--) into[n++] = (byte)'0';
            shown.CopyTo(into[n..]);
            return n + count;
        }
        if (exponent is >= 0 and < 9)
        {
            // ddd[000][.ddd]
            var whole = exponent + 1;
            for (var k = 0; k < whole; k++) into[n++] = k < count ? shown[k] : (byte)'0';
            if (count <= whole) return n;
            into[n++] = (byte)'.';
            shown[whole..].CopyTo(into[n..]);
            return n + count - whole;
        }
        // d[.ddd]e±x
        into[n++] = shown[0];
        if (count > 1)
        {
            into[n++] = (byte)'.';
            shown[1..].CopyTo(into[n..]);
            n += count - 1;
        }
        into[n++] = (byte)'e';
        if (exponent < 0)
        {
            into[n++] = (byte)'-';
            exponent = -exponent;
        }
        if (exponent >= 10) into[n++] = (byte)('0' + exponent / 10);
        into[n++] = (byte)('0' + exponent % 10);
        return n;
    }

    /// <summary><paramref name="d"/> × 10^(8 − <paramref name="exponent"/>), rounded (either way at a tie: both round-trip): its nine leading digits when the exponent is right.</summary>
    private static ulong Scaled(double d, int exponent) => (ulong)(d * Powers[8 - exponent + PowerBias] + 0.5);
}
