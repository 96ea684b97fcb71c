using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using OvStateful.Cli.Remote;
using OvStateful.Core.Tensors;

namespace OvStateful.Cli.Tests;

/// <summary>
/// The load generator's FP32 text reads back as the same float (float.Parse and a JSON reader),
/// over random bit patterns (subnormals, the largest floats, -0 included) and the uniform
/// [-1, 1) audio it sends; and an FP32 tensor goes out as one JSON array of them.
/// </summary>
public class Fp32TextTests
{
    [Theory]
    [InlineData(0f, "0")]
    [InlineData(-0f, "-0")]
    [InlineData(1f, "1")]
    [InlineData(-2.5f, "-2.5")]
    [InlineData(0.5f, "0.5")]
    [InlineData(100f, "100")]
    [InlineData(123456792f, "123456792")]
    [InlineData(1e9f, "1e9")]
    [InlineData(0.0009765625f, "0.0009765625")]
    [InlineData(9.5367431640625e-7f, "9.53674316e-7")] // 2^-20: nine digits, not the shortest
    [InlineData(float.MaxValue, "3.40282347e38")]
    [InlineData(float.Epsilon, "1.40129846e-45")]
    public void Known_values_are_written_as_expected(float f, string expected) => Assert.Equal(expected, Format(f));

    [Fact]
    public void Random_bit_patterns_round_trip()
    {
        var random = new Random(19);
        for (var i = 0; i < 200_000; i++)
        {
            var f = BitConverter.UInt32BitsToSingle((uint)random.NextInt64(0, 1L << 32));
            if (float.IsFinite(f)) AssertRoundTrips(f);
        }
        foreach (var f in new[] { float.MaxValue, -float.MaxValue, float.Epsilon, 1.17549435e-38f, MathF.BitDecrement(1.17549435e-38f), 1e-45f, 9.99999944e-39f })
            AssertRoundTrips(f);
    }

    [Fact]
    public void Audio_samples_round_trip()
    {
        var random = new Random(20);
        for (var i = 0; i < 200_000; i++) AssertRoundTrips((float)(random.NextDouble() * 2 - 1));
    }

    [Fact]
    public void Every_power_of_ten_boundary_round_trips()
    {
        // Log10 next to a power of ten is where the first digit's exponent may come out one off.
        for (var k = -45; k <= 38; k++)
        {
            var p = float.Parse($"1e{k}", CultureInfo.InvariantCulture);
            for (var f = MathF.BitDecrement(MathF.BitDecrement(p)); f <= MathF.BitIncrement(MathF.BitIncrement(p)) && float.IsFinite(f); f = MathF.BitIncrement(f))
                if (f > 0) AssertRoundTrips(f);
        }
    }

    [Fact]
    public void An_fp32_tensor_is_one_json_array_of_its_values()
    {
        var values = new[] { 0.25f, -0.0078125f, 3.4028235e38f, -0f };
        var data = new byte[values.Length * 4];
        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(i * 4), values[i]);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WritePropertyName("data");
            JsonTensors.WriteData(w, new Tensor("t", DataType.Fp32, [2, 2], data));
            w.WriteBoolean("after", true);
            w.WriteEndObject();
        }
        Assert.Equal("{\"data\":[0.25,-0.0078125,3.40282347e38,-0],\"after\":true}", Encoding.UTF8.GetString(buffer.ToArray()));
    }

    [Fact]
    public void Non_finite_values_are_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Fp32Text.Format(float.NaN, new byte[Fp32Text.MaxLength]));

    private static string Format(float f)
    {
        var text = new byte[Fp32Text.MaxLength];
        return Encoding.ASCII.GetString(text, 0, Fp32Text.Format(f, text));
    }

    private static void AssertRoundTrips(float f)
    {
        var text = new byte[Fp32Text.MaxLength];
        var n = Fp32Text.Format(f, text);
        var s = Encoding.ASCII.GetString(text, 0, n);
        var back = float.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);
        Assert.True(BitConverter.SingleToUInt32Bits(f) == BitConverter.SingleToUInt32Bits(back), $"{f:R} written as {s}, read back as {back:R}");
        // A JSON number, as a reader takes it.
        var r = new Utf8JsonReader(text.AsSpan(0, n));
        Assert.True(r.Read() && r.TokenType == JsonTokenType.Number && r.BytesConsumed == n, s);
        Assert.Equal(BitConverter.SingleToUInt32Bits(f), BitConverter.SingleToUInt32Bits(r.GetSingle()));
    }
}
