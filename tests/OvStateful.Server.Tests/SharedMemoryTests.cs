using System.Net;
using System.Text;
using System.Text.Json;
using OvStateful.Server.Tests.Infrastructure;
using OvStateful.Server.Tests.TestDoubles;

namespace OvStateful.Server.Tests;

/// <summary>
/// System shared memory over REST where timing matters: a region unregistered while a request
/// holds it for an output fails that request alone, and the server goes on serving (Triton's
/// clients' calls through real models are in <see cref="TritonProtocolTests"/>).
/// </summary>
public sealed class SharedMemoryTests
{
    [Fact]
    public async Task A_region_unregistered_while_a_request_writes_to_it_fails_that_request_only()
    {
        var key = $"/ovs-test-{Guid.NewGuid():N}";
        var file = "/dev/shm" + key;
        await File.WriteAllBytesAsync(file, new byte[64]);
        var gated = new GatedTestModel();
        await using var server = await TestServer.StartAsync(new TestModelRegistry(gated));
        try
        {
            var register = await server.Http.PostAsync("/v2/systemsharedmemory/region/out/register", Json(new { key, offset = 0, byte_size = 64 }));
            Assert.Equal(HttpStatusCode.OK, register.StatusCode);

            var request = new
            {
                inputs = new[] { new { name = "X", shape = new[] { 1 }, datatype = "INT32", data = new[] { 41 } } },
                outputs = new[] { new { name = "Y", parameters = new Dictionary<string, object> { ["shared_memory_region"] = "out", ["shared_memory_byte_size"] = 4, ["shared_memory_offset"] = 8 } } },
            };
            var held = server.Http.PostAsync("/v2/models/gated/infer", Json(request));
            await gated.NextEntered();
            Assert.Equal(HttpStatusCode.OK, (await server.Http.PostAsync("/v2/systemsharedmemory/region/out/unregister", null)).StatusCode);
            gated.Open();
            var failed = await held;
            Assert.Equal(HttpStatusCode.BadRequest, failed.StatusCode);
            Assert.Contains("shared memory region 'out' was unregistered while the request used it; tensor 'Y' was not written", await failed.Content.ReadAsStringAsync());

            // Registered again, the same request writes 42 at offset 8; the region's status says what it holds.
            Assert.Equal(HttpStatusCode.OK, (await server.Http.PostAsync("/v2/systemsharedmemory/region/out/register", Json(new { key, offset = 0, byte_size = 64 }))).StatusCode);
            var ok = await server.Http.PostAsync("/v2/models/gated/infer", Json(request));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            var output = JsonDocument.Parse(await ok.Content.ReadAsStringAsync()).RootElement.GetProperty("outputs")[0];
            Assert.False(output.TryGetProperty("data", out _));
            Assert.Equal(42, BitConverter.ToInt32((await File.ReadAllBytesAsync(file)).AsSpan(8, 4)));
            var status = JsonDocument.Parse(await server.Http.GetStringAsync("/v2/systemsharedmemory/status")).RootElement;
            var region = Assert.Single(status.EnumerateArray().ToArray());
            Assert.Equal(("out", key, 64), (region.GetProperty("name").GetString(), region.GetProperty("key").GetString(), region.GetProperty("byte_size").GetInt32()));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static StringContent Json(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
}
