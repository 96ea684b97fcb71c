using System.Net;
using System.Text;
using OvStateful.Server.Tests.Infrastructure;

namespace OvStateful.Server.Tests;

/// <summary>
/// Bad JSON text and values are the client's fault, answered 400 naming the element: invalid
/// UTF-8, escapes that make lone surrogates, entries of the wrong JSON kind, numbers beyond
/// the datatype's range (each answered 500, or taken as Infinity, before).
/// </summary>
public sealed class JsonTextTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private static readonly string Data = string.Join(",", Enumerable.Repeat("1", 20));

    public async Task InitializeAsync() => _server = await TestServer.StartAsync();
    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static string Body(string input = "\"Input\"", string data = "", string id = "", string outputs = "", string sequence = "7") =>
        $"{{{id}\"parameters\":{{\"sequence_id\":{sequence},\"sequence_start\":true}},\"inputs\":[{{\"name\":{input},\"datatype\":\"FP32\",\"shape\":[1,4,1,5],\"data\":[{(data.Length > 0 ? data : Data)}]}}]{outputs}}}";

    private async Task<(HttpStatusCode Status, string Body)> Post(byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        using var response = await _server.Http.PostAsync("/v2/models/accumulate/infer", content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public static TheoryData<string, string> Cases => new()
    {
        { Body(id: "\"id\":\"\\ud800\","), "the string at id holds an escape that is no Unicode text" },
        { Body(sequence: "\"\\udc00x\""), "the string at parameters.sequence_id holds an escape that is no Unicode text" },
        { Body(input: "\"In\\udc00\""), "the string at inputs[0].name holds an escape that is no Unicode text" },
        { Body(outputs: ",\"outputs\":[3]"), "outputs[0] is Number; expected an object with 'name'" },
        { Body(outputs: ",\"outputs\":[{\"name\":\"Output\"},\"x\"]"), "outputs[1] is String; expected an object with 'name'" },
        { Body(data: "1e39," + string.Join(",", Enumerable.Repeat("1", 19))), "input 'Input' value 0 is 1e39; FP32 data must be a number within ±3.4028235e38 (the range of FP32)" },
        { Body(data: string.Join(",", Enumerable.Repeat("1", 19)) + ",-4e38"), "input 'Input' value 19 is -4e38; FP32 data must be a number within ±3.4028235e38" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_is_a_400_naming_what_is_wrong(string body, string expected)
    {
        var (status, text) = await Post(Encoding.UTF8.GetBytes(body));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains(expected, text);
    }

    [Fact]
    public async Task Invalid_UTF8_is_a_400_naming_the_byte()
    {
        var body = Encoding.UTF8.GetBytes(Body(id: "\"id\":\"AB\","));
        var at = Array.IndexOf(body, (byte)'A');
        body[at] = 0xFF;
        body[at + 1] = 0xFE;
        var (status, text) = await Post(body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains($"request body is not valid UTF-8 (byte {at} starts an invalid sequence)", text);
    }

    [Fact]
    public async Task A_number_that_only_rounds_is_taken_and_the_largest_FP32_passes()
    {
        var (status, text) = await Post(Encoding.UTF8.GetBytes(Body(data: "3.4028235e38,1.0000000001,1e-50," + string.Join(",", Enumerable.Repeat("1", 17)))));
        Assert.True(status == HttpStatusCode.OK, text);
    }
}
