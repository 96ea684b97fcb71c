using System.Buffers.Binary;
using System.Buffers.Text;
using System.Globalization;
using System.Numerics;
using System.Text;
using OvStateful.Core.Tensors;
using OvStateful.Server.Http;

namespace OvStateful.Server.Tests;

/// <summary>
/// The fast JSON number parser gives bit for bit what the runtime's parsers give (float.Parse,
/// double.Parse and Utf8Parser, invariant culture) over random bit patterns printed in every
/// usual form, random short decimals around the fast path's limits, decimals whose nearest
/// double is exactly halfway between two floats (where rounding twice would be wrong), and
/// hand-picked edges. Seeded, so a failure names a text that fails again.
/// </summary>
public sealed class DecimalFloatParserTests
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;
    private static readonly string[] SingleFormats = ["R", "G9", "G", "E", "E8", "E3", "F6", "F2"];
    private static readonly string[] DoubleFormats = ["R", "G17", "G", "E16", "E5", "F6"];

    public static TheoryData<string> Edges => new()
    {
        "0", "-0", "0.0", "-0.0", "0e5", "-0e-400", "1", "-1", "0.5", "1e22", "1e23", "1e-22", "1e-23",
        "3.4028235e38", "3.4028234663852886e38", "3.4028235677973366e38", "3.4028236e38", "1e39", "-1e39", "1e400", "1e-400",
        "1.17549435e-38", "1.1754942e-38", "1.4e-45", "1.401298464324817e-45", "7e-46", "7.006492321624086e-46", "7.1e-46",
        "16777216", "16777217", "16777218", "16777219", "9007199254740992", "9007199254740993", "9007199254740993e3",
        "1.7976931348623157e308", "1.7976931348623159e308", "4.9406564584124654e-324", "2.2250738585072014e-308",
        "0.1", "0.2", "0.3", "123456789012345678", "1234567890123456789", "12345678901234567890", "0.00000000000000000000000000001234",
        "1.00000000000000000000000000000000000001", "1E5", "1e+5", "1.5E-05", "-9.99999997e-7", "99999999999999999999e-20",
    };

    [Theory]
    [MemberData(nameof(Edges))]
    public void Edge_cases_are_exact(string text) => AssertSame(text);

    [Fact]
    public void Random_float_bit_patterns_in_every_usual_form_are_exact()
    {
        var random = new Random(19);
        for (var i = 0; i < 20_000; i++)
        {
            var f = BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32));
            if (!float.IsFinite(f)) continue;
            foreach (var format in SingleFormats) AssertSame(f.ToString(format, Invariant));
            AssertSame(((double)f).ToString("R", Invariant));
        }
    }

    [Fact]
    public void Random_floats_as_a_load_generator_sends_them_are_exact()
    {
        // Silero's synthetic audio: uniform in [-1, 1).
        var random = new Random(20);
        for (var i = 0; i < 20_000; i++)
        {
            var f = (float)(random.NextDouble() * 2 - 1);
            foreach (var format in SingleFormats) AssertSame(f.ToString(format, Invariant));
        }
    }

    [Fact]
    public void Random_double_bit_patterns_are_exact()
    {
        var random = new Random(21);
        for (var i = 0; i < 20_000; i++)
        {
            var d = BitConverter.Int64BitsToDouble(random.NextInt64(long.MinValue, long.MaxValue));
            if (!double.IsFinite(d)) continue;
            foreach (var format in DoubleFormats) AssertSame(d.ToString(format, Invariant));
        }
    }

    [Fact]
    public void Random_short_decimals_around_the_fast_paths_limits_are_exact()
    {
        var random = new Random(22);
        var text = new StringBuilder();
        for (var i = 0; i < 50_000; i++)
        {
            text.Clear();
            if (random.Next(2) == 0) text.Append('-');
            // JSON's grammar: no leading zeros, at least one digit on each side of a point.
            var whole = random.Next(0, 20);
            if (whole == 0) text.Append('0');
            else text.Append((char)('1' + random.Next(9)));
            for (var k = 1; k < whole; k++) text.Append((char)('0' + random.Next(10)));
            var fraction = random.Next(0, 22 - whole);
            if (fraction > 0) text.Append('.');
            for (var k = 0; k < fraction; k++) text.Append((char)('0' + random.Next(10)));
            if (random.Next(3) > 0) text.Append(random.Next(2) == 0 ? 'e' : 'E').Append(random.Next(-60, 60));
            var s = text.ToString();
            AssertSame(s);
        }
    }

    /// <summary>
    /// Decimals whose nearest double is exactly halfway between two floats without being that
    /// midpoint: casting the double to float rounds to even, which is the wrong float for about
    /// half of them. Made inside the fast path's limits (mantissa ≤ 2^53, exponent ≥ -22).
    /// </summary>
    [Fact]
    public void Decimals_that_round_to_a_float_midpoint_are_exact()
    {
        var random = new Random(23);
        var made = 0;
        var naiveWrong = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var f = BitConverter.UInt32BitsToSingle((uint)random.Next(0x35000000, 0x59000000)); // ~4.8e-7 … 2.2e15
            var midpoint = ((double)f + (double)MathF.BitIncrement(f)) / 2;
            if (NearbyDecimal(midpoint) is not { } text) continue;
            made++;
            AssertSame(text);
            if ((float)double.Parse(text, Invariant) != float.Parse(text, Invariant)) naiveWrong++;
        }
        Assert.True(made > 1000, $"only {made} decimals made");
        // The case the midpoint check exists for really occurs.
        Assert.True(naiveWrong > 0, "no decimal where rounding through double differs");
    }

    /// <summary>A decimal m·10^-k (m ≤ 2^53, k ≤ 22) whose nearest double is <paramref name="midpoint"/>, or null when no k fits.</summary>
    private static string? NearbyDecimal(double midpoint)
    {
        var bits = BitConverter.DoubleToInt64Bits(midpoint);
        var mantissa = new BigInteger((bits & ((1L << 52) - 1)) | (1L << 52));
        var shift = 1075 - (int)((bits >> 52) & 0x7FF); // midpoint = mantissa · 2^-shift
        if (shift <= 0) return null;
        for (var k = 0; k <= 22; k++)
        {
            var scaled = mantissa * BigInteger.Pow(10, k);
            var m = (scaled + (BigInteger.One << (shift - 1))) >> shift;
            if (m <= (BigInteger.One << 52) || m > (BigInteger.One << 53)) continue;
            var text = $"{m}e-{k}";
            if (double.Parse(text, Invariant) == midpoint) return text;
        }
        return null;
    }

    [Fact]
    public void Json_data_is_decoded_as_the_runtime_parses_each_value()
    {
        var random = new Random(24);
        var values = new float[512];
        var texts = new string[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var f = i % 3 == 0 ? BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32)) : (float)(random.NextDouble() * 2 - 1);
            if (!float.IsFinite(f)) f = 1;
            texts[i] = f.ToString(SingleFormats[i % SingleFormats.Length], Invariant);
            values[i] = float.Parse(texts[i], Invariant);
        }
        // Nested rows, odd whitespace: row-major as always.
        var json = "[ [" + string.Join(",", texts[..256]) + "] ,\n\t[" + string.Join(" , ", texts[256..]) + "]\r\n]";
        var exchange = InferExchange.Rent();
        try
        {
            var bytes = JsonTensorData.Decode("input", DataType.Fp32, [2, 256], Encoding.UTF8.GetBytes(json), exchange).ToArray();
            for (var i = 0; i < values.Length; i++)
                Assert.Equal(BitConverter.SingleToUInt32Bits(values[i]), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i * 4)));
        }
        finally
        {
            InferExchange.Return(exchange);
        }
    }

    private static void AssertSame(string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        var expectedDouble = double.Parse(text, NumberStyles.Float, Invariant);
        var expectedSingle = float.Parse(text, NumberStyles.Float, Invariant);
        Assert.True(Utf8Parser.TryParse(utf8, out double runtimeDouble, out _) && BitConverter.DoubleToUInt64Bits(runtimeDouble) == BitConverter.DoubleToUInt64Bits(expectedDouble), $"runtime parsers differ on {text}");
        Assert.True(Utf8Parser.TryParse(utf8, out float runtimeSingle, out _) && BitConverter.SingleToUInt32Bits(runtimeSingle) == BitConverter.SingleToUInt32Bits(expectedSingle), $"runtime parsers differ on {text}");
        Assert.True(DecimalFloatParser.TryParseDouble(utf8, out var d), text);
        Assert.True(DecimalFloatParser.TryParseSingle(utf8, out var f), text);
        Assert.True(BitConverter.DoubleToUInt64Bits(expectedDouble) == BitConverter.DoubleToUInt64Bits(d), $"FP64 {text}: {d:R}, expected {expectedDouble:R}");
        Assert.True(BitConverter.SingleToUInt32Bits(expectedSingle) == BitConverter.SingleToUInt32Bits(f), $"FP32 {text}: {f:R}, expected {expectedSingle:R}");
        // Read from the start of an array's text, as the data decoder reads them: the same value, ending at the comma.
        var inArray = Encoding.UTF8.GetBytes(text + ",1]");
        Assert.True(DecimalFloatParser.TryReadDouble(inArray, out var d2, out var n2) && n2 == utf8.Length && BitConverter.DoubleToUInt64Bits(d2) == BitConverter.DoubleToUInt64Bits(expectedDouble), $"FP64 in an array: {text}");
        Assert.True(DecimalFloatParser.TryReadSingle(inArray, out var f2, out var n3) && n3 == utf8.Length && BitConverter.SingleToUInt32Bits(f2) == BitConverter.SingleToUInt32Bits(expectedSingle), $"FP32 in an array: {text}");
    }
}
