using System.Text;
using OvStateful.Core.Config;
using OvStateful.Core.Config.TextFormat;

namespace OvStateful.Core.Tests.Config;

/// <summary>
/// Mutated configs (truncations, character flips, inserted tokens, deleted and duplicated spans;
/// fixed seed) either parse or fail with a located <see cref="ConfigParseException"/>: never any
/// other exception and never the parser's internal-error safety net. What parses also validates
/// and round-trips through the writer without throwing.
/// </summary>
public class ParserFuzzTests
{
    private static readonly string[] Tokens =
    [
        "{", "}", "[", "]", "<", ">", ":", ",", ";", "\"", "'", "\\", "#", "-", "0x", "1e", "1e+", ".5", "inf", "nan", "true",
        "TYPE_FP32", "KIND_CPU", "name", "parameters", "dims", "input", "sequence_batching", "oldest", "direct", "state",
        "\n", "\0", "\uD800", "é", "𝄞", "99999999999999999999", "-9223372036854775809", "0777", "08", "\\x", "\\u12",
        "\\777", "\"\\xff\"", " ", "\t", "\r", "[]", "{}", "key", "value", "string_value", "version_policy", "all",
    ];

    private static IEnumerable<string> Bases()
    {
        yield return File.ReadAllText(TestPaths.ConformanceConfig("accumulate_fp32"));
        yield return File.ReadAllText(TestPaths.ConformanceConfig("accumulate_int32"));
        foreach (var s in ConfigSamples.KitchenSinks) yield return s;
    }

    [Fact]
    public void Mutations_only_ever_raise_the_parser_error()
    {
        var rng = new Random(20261122);
        var bases = Bases().ToArray();
        int parsed = 0, rejected = 0;
        for (var n = 0; n < 4000; n++)
        {
            var text = Mutate(bases[rng.Next(bases.Length)], rng, rng.Next(1, 4));
            try
            {
                var config = ModelConfigParser.Parse(text, "fuzz.pbtxt");
                parsed++;
                // What parses must validate and survive the wire without throwing.
                _ = ConfigValidator.Validate(config);
                RoundTripTests.AssertWireRoundTrip(config);
            }
            catch (ConfigParseException ex)
            {
                rejected++;
                Assert.True(ex.Line >= 1 && ex.Column >= 1, $"case {n}: position {ex.Line}:{ex.Column}");
                Assert.StartsWith($"fuzz.pbtxt:{ex.Line}:{ex.Column}: ", ex.Message);
                Assert.False(ex.Detail.StartsWith("internal", StringComparison.Ordinal), $"case {n}: {ex.Detail}\n--- input ---\n{text}");
            }
        }
        // Both outcomes must be exercised, or the mutations are too weak or too strong to mean anything.
        Assert.True(parsed > 100, $"only {parsed} mutated configs parsed");
        Assert.True(rejected > 1000, $"only {rejected} mutated configs were rejected");
    }

    [Fact]
    public void Truncations_of_a_conformance_config_are_handled()
    {
        // Every third length (about 1,800 cases) keeps the test fast; the random mutations add more.
        var text = File.ReadAllText(TestPaths.ConformanceConfig("accumulate_fp32"));
        for (var len = 0; len < text.Length; len += 3)
        {
            try
            {
                ModelConfigParser.Parse(text[..len]);
            }
            catch (ConfigParseException ex)
            {
                Assert.False(ex.Detail.StartsWith("internal", StringComparison.Ordinal), ex.Detail);
            }
        }
    }

    [Fact]
    public void Random_bytes_are_handled()
    {
        var rng = new Random(7);
        for (var n = 0; n < 2000; n++)
        {
            var chars = new char[rng.Next(0, 200)];
            for (var i = 0; i < chars.Length; i++) chars[i] = (char)rng.Next(0, n % 2 == 0 ? 128 : 0x10000);
            try
            {
                ModelConfigParser.Parse(new string(chars));
            }
            catch (ConfigParseException ex)
            {
                Assert.False(ex.Detail.StartsWith("internal", StringComparison.Ordinal), ex.Detail);
            }
        }
    }

    [Fact]
    public void Deep_nesting_is_an_error_not_a_crash()
    {
        var text = new StringBuilder();
        for (var i = 0; i < 100_000; i++) text.Append("sequence_batching {");
        Assert.Throws<ConfigParseException>(() => ModelConfigParser.Parse(text.ToString()));
        Assert.Throws<ConfigParseException>(() => ModelConfigParser.Parse(new string('{', 100_000)));
        Assert.Throws<ConfigParseException>(() => ModelConfigParser.Parse("input " + new string('[', 100_000)));
    }

    private static string Mutate(string text, Random rng, int count)
    {
        var sb = new StringBuilder(text);
        for (var k = 0; k < count; k++)
        {
            var at = sb.Length == 0 ? 0 : rng.Next(sb.Length);
            switch (rng.Next(5))
            {
                case 0: // truncate
                    sb.Length = at;
                    break;
                case 1: // flip one character
                    if (sb.Length > 0) sb[at] = (char)(rng.Next(3) == 0 ? rng.Next(0, 0x10000) : rng.Next(0, 128));
                    break;
                case 2: // insert a token
                    sb.Insert(at, Tokens[rng.Next(Tokens.Length)]);
                    break;
                case 3: // delete a span
                    sb.Remove(at, Math.Min(sb.Length - at, rng.Next(1, 12)));
                    break;
                default: // duplicate a span
                    var len = Math.Min(sb.Length - at, rng.Next(1, 40));
                    sb.Insert(at, sb.ToString(at, len));
                    break;
            }
        }
        return sb.ToString();
    }
}
