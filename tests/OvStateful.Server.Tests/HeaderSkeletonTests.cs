using System.Text;
using OvStateful.Server.Http;
using OvStateful.Core.Serving;
using OvStateful.Server.Tests.TestDoubles;

namespace OvStateful.Server.Tests;

/// <summary>
/// Reading a header through its skeleton (number arrays cut out) gives what reading the header
/// itself gives: the same fields and data ranges for every header that parses, the same error
/// message for every one that does not. Over hand-picked headers (data before or after the
/// name, nested, in parameters, escaped keys, numbers JSON does not allow, too deep) and random
/// mutations of them (fixed seed).
/// </summary>
public sealed class HeaderSkeletonTests
{
    private static readonly TensorNames Names = TensorNames.Of(new EchoTestModel());

    private const string Data = "[[1, -2.5e-3 ,0.125],[3E+2,-0,7]]";

    private static readonly string[] HeaderTexts =
    [
        $"{{\"inputs\":[{{\"name\":\"FP32\",\"datatype\":\"FP32\",\"shape\":[2,3],\"data\":{Data}}}]}}",
        $"{{\"inputs\":[{{\"data\" : {Data},\"name\":\"FP32\",\"datatype\":\"FP32\",\"shape\":[2,3]}}]}}",
        $"{{\"id\":\"x\\\"data\\\":[1]\",\"inputs\":[{{\"name\":\"FP32\",\"datatype\":\"FP32\",\"shape\":[1,3],\"data\":[1,2,3]}},{{\"name\":\"FP64\",\"datatype\":\"FP64\",\"shape\":[1,3],\"data\":[4,5,6]}}]}}",
        $"{{\"parameters\":{{\"data\":[1,2]}},\"inputs\":[{{\"name\":\"INT32\",\"datatype\":\"INT32\",\"shape\":[1,3],\"data\":[1,2,3],\"parameters\":{{\"data\":[9]}}}}],\"outputs\":[{{\"name\":\"OUT_INT32\",\"data\":[1]}}]}}",
        $"{{\"inputs\":[{{\"name\":\"BYTES\",\"datatype\":\"BYTES\",\"shape\":[1,3],\"data\":[\"a\",\"b\",\"c\"]}},{{\"name\":\"FP32\",\"datatype\":\"FP32\",\"shape\":[1,3],\"data\":[1,2,3]}}]}}",
        $"{{\"inputs\":[{{\"name\":\"BOOL\",\"datatype\":\"BOOL\",\"shape\":[1,3],\"data\":[true,false,true]}}]}}",
        $"{{\"inputs\":[{{\"name\":\"FP32\",\"datatype\":\"FP32\",\"shape\":[1,3],\"d\\u0061ta\":[1,2,3]}}]}}",
        $"{{\"inputs\":[{{\"name\":\"FP32\",\"datatype\":\"FP32\",\"shape\":[1,3],\"data\":5}}]}}",
        $"{{\"inputs\":[{{\"name\":\"FP32\",\"datatype\":\"FP32\",\"shape\":[1,3],\"data\":[]}}]}}",
        $"{{\"inputs\":[{{\"name\":\"FP32\",\"datatype\":\"FP32\",\"shape\":[1,3],\"data\":[01,2,3]}}]}}",
        $"{{\"inputs\":[{{\"name\":\"FP32\",\"datatype\":\"FP32\",\"shape\":[1,3],\"data\":[1.,2,3]}}]}}",
        $"{{\"inputs\":[{{\"name\":\"FP32\",\"datatype\":\"FP32\",\"shape\":[1,3],\"data\":[1,2,3,]}}]}}",
        $"{{\"inputs\":[{{\"name\":\"FP32\",\"datatype\":\"FP32\",\"shape\":[1,3],\"data\":[1,,3]}}]}}",
        $"{{\"inputs\":[{{\"name\":\"FP32\",\"datatype\":\"FP32\",\"shape\":[1,3],\"data\":[-,2,3]}}]}}",
        $"{{\"inputs\":[{{\"name\":\"FP32\",\"datatype\":\"FP32\",\"shape\":[1,3],\"data\":[1e,2,3]}}]}}",
        $"{{\"inputs\":[{{\"name\":\"FP32\",\"datatype\":\"FP32\",\"shape\":[1,3],\"data\":[1 2,3]}}]}}",
        $"{{\"inputs\":[{{\"name\":\"FP32\",\"datatype\":\"FP32\",\"shape\":[1,3],\"data\":[1,2,3]]}}]}}",
        $"{{\"inputs\":[{{\"name\":\"FP32\",\"datatype\":\"FP32\",\"shape\":[1,3],\"data\":[1,2,3]}}]}} {{}}",
        $"{{\"inputs\":[{{\"name\":\"FP32\",\"datatype\":\"FP32\",\"shape\":[1,3],\"data\":{new string('[', 59)}1,2,3{new string(']', 59)}}}]}}",
        $"{{\"inputs\":[{{\"name\":\"FP32\",\"datatype\":\"FP32\",\"shape\":[1,3],\"data\":{new string('[', 61)}1,2,3{new string(']', 61)}}}]}}",
        $"{{\"inputs\":[{{\"name\":\"FP32\",\"datatype\":\"FP32\",\"shape\":[1,3],\"data\":{new string('[', 62)}1,2,3{new string(']', 62)}}}]}}",
        $"{{\"inputs\":[{{\"name\":\"FP32\",\"datatype\":\"FP33\",\"shape\":[1,3],\"data\":[1,2,3]}}]}}",
        $"{{\"inputs\":[{{\"name\":\"FP32\",\"datatype\":\"FP32\",\"shape\":[1,3],\"data\":[1,2,3]}}], \"x\": tru}}",
        $"{{\"inputs\":[{{\"name\":\"FP32\",\"datatype\":\"FP32\",\"shape\":[1,3],\"data\":[1,2,3]",
        $"{{\"inputs\":[{{\"name\":\"FP32\",\"datatype\":\"FP32\",\"shape\":[1,3],\"data\":[1,2,3]}}],\"id\":\"unterminated}}",
    ];

    public static TheoryData<string> Headers => new(HeaderTexts);

    [Theory]
    [MemberData(nameof(Headers))]
    public void A_header_reads_the_same_through_its_skeleton(string header) => AssertSame(header);

    [Fact]
    public void Number_arrays_after_data_are_cut_and_nothing_else()
    {
        var exchange = InferExchange.Rent();
        try
        {
            HeaderSkeleton.Read(Encoding.UTF8.GetBytes(HeaderTexts[3]), Names, exchange.Header, exchange);
            // The input's data, the request's and the input's "data" parameters, the output's "data": four arrays; the id's text is a string.
            Assert.Equal(4, exchange.Cuts.Count);
            Assert.Equal("[1,2,3]".Length, exchange.Header.Inputs[0].DataLength);
        }
        finally
        {
            InferExchange.Return(exchange);
        }
    }

    [Fact]
    public void Mutated_headers_read_the_same_through_their_skeletons()
    {
        var random = new Random(25);
        var bases = HeaderTexts;
        string[] tokens = ["[", "]", ",", "-", "0", "01", "1e", ".", " ", "\"", "\\", "\"data\":", "\"data\":[1,2,3]", "{", "}", ":", "1.5", "[1,[2]]"];
        for (var i = 0; i < 5000; i++)
        {
            var text = bases[random.Next(bases.Length)];
            for (var m = random.Next(1, 4); m > 0; m--)
            {
                var at = random.Next(text.Length + 1);
                text = random.Next(3) switch
                {
                    0 => text[..at] + tokens[random.Next(tokens.Length)] + text[at..],
                    1 => text.Remove(at, Math.Min(random.Next(1, 6), text.Length - at)),
                    _ => text[..at] + text[at..Math.Min(text.Length, at + random.Next(1, 30))] + text[at..],
                };
            }
            AssertSame(text);
        }
    }

    private static void AssertSame(string header)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var expected = Outcome(json, (h, into, _) => InferHeaderReader.Read(h, Names, into));
        var actual = Outcome(json, (h, into, exchange) => HeaderSkeleton.Read(h, Names, into, exchange));
        Assert.True(expected == actual, $"{header}\nplain:    {expected}\nskeleton: {actual}");
    }

    private delegate void Reader(ReadOnlySpan<byte> json, InferHeader into, InferExchange exchange);

    /// <summary>What a read gives, as text: its fields, each input's data as its JSON text, or the error's message.</summary>
    private static string Outcome(byte[] json, Reader read)
    {
        var exchange = InferExchange.Rent();
        try
        {
            var h = exchange.Header;
            read(json, h, exchange);
            var s = new StringBuilder($"id={h.Id} seq={h.SequenceId} {h.SequenceStart}/{h.SequenceEnd} bin={h.BinaryDataOutput};");
            foreach (var e in h.Inputs)
                s.Append($" in {e.Name} {e.DataType} [{string.Join(",", e.Shape)}] bin={e.BinarySize} data={Encoding.UTF8.GetString(json, e.DataStart, e.DataLength)};");
            foreach (var o in h.Outputs) s.Append($" out {o.Name} {o.Binary};");
            return s.ToString();
        }
        catch (InferenceException e)
        {
            return "error: " + e.Message;
        }
        finally
        {
            InferExchange.Return(exchange);
        }
    }
}
