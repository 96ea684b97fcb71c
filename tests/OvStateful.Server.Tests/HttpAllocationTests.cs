using System.Net.Sockets;
using System.Text;
using OvStateful.Core.Serving;
using OvStateful.OnnxRuntime;
using OvStateful.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OvStateful.Server.Tests;

/// <summary>Allocation is counted for the whole process: these tests run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AllocationCollection
{
    public const string Name = "allocation";
}

/// <summary>
/// Managed allocation of one REST inference step on the server, counted over thousands of steps
/// of one sequence: Kestrel, routing, the codec, the batcher and the ORT engine on the
/// conformance accumulate_fp32 model (the response's tensor included). The client is a raw
/// socket writing prepared requests and reading responses into one buffer, so it allocates
/// nothing itself (and what its thread allocates is taken out anyway). A test of allocation,
/// not of time.
/// </summary>
[Collection(AllocationCollection.Name)]
public sealed class HttpAllocationTests(ITestOutputHelper output)
{
    /// <summary>The goal of issue 19: the server's managed allocation per REST step stays within 1 KB.</summary>
    internal const long BytesPerStep = 1024;

    [OrtTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_rest_step_allocates_at_most_1_KB_on_the_server(bool binary)
    {
        await using var registry = new ModelRegistry(TestPaths.Conformance, [new OnnxRuntimeEngineProvider()]);
        await registry.LoadAllAsync();
        await using var server = await TestServer.StartAsync(registry);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync("127.0.0.1", server.Server.HttpPort);

        var sequence = binary ? 7001UL : 7002UL;
        var first = Request(sequence, start: true, binary);
        var next = Request(sequence, start: false, binary);
        var buffer = new byte[64 * 1024];
        const int warmup = 500, blocks = 3, perBlock = 1000;
        // Synchronous socket calls on a thread of its own: nothing of the client's shows up as server work.
        // Counted in blocks, the fewest bytes taken: what every step allocates is in each block, while a
        // one-off (the thread pool adding a thread while other test assemblies load the cores, a pool
        // growing) lands in one block only and is not a step's cost.
        var perStep = await Task.Factory.StartNew(() =>
        {
            Step(socket, first, buffer);
            for (var i = 1; i < warmup; i++) Step(socket, next, buffer);
            var block = new double[blocks];
            for (var b = 0; b < blocks; b++)
            {
                var process = GC.GetTotalAllocatedBytes(precise: true);
                var client = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < perBlock; i++) Step(socket, next, buffer);
                var clientBytes = GC.GetAllocatedBytesForCurrentThread() - client;
                block[b] = (double)(GC.GetTotalAllocatedBytes(precise: true) - process - clientBytes) / perBlock;
            }
            return block;
        }, TaskCreationOptions.LongRunning);

        var least = perStep.Min();
        output.WriteLine($"{(binary ? "binary tensors" : "JSON tensors")}: {least:F0} bytes allocated per step on the server "
            + $"(the least of {blocks} blocks of {perBlock} steps: {string.Join(", ", perStep.Select(b => b.ToString("F0")))})");
        Assert.True(least <= BytesPerStep, $"the server allocated {least:F0} bytes per REST step (blocks of {perBlock}: {string.Join(", ", perStep.Select(b => b.ToString("F0")))}); at most {BytesPerStep} expected");
    }

    /// <summary>An HTTP/1.1 keep-alive request for one continuing (or first) step of accumulate_fp32.</summary>
    internal static byte[] Request(ulong sequence, bool start, bool binary)
    {
        var input = Accumulate.Input(sequence, 0);
        var parameters = $"\"parameters\":{{\"sequence_id\":{sequence},\"sequence_start\":{(start ? "true" : "false")},\"sequence_end\":false{(binary ? ",\"binary_data_output\":true" : "")}}}";
        var tensor = binary
            ? "\"parameters\":{\"binary_data_size\":80}"
            : "\"data\":[" + string.Join(",", input.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
        var json = Encoding.UTF8.GetBytes($"{{{parameters},\"inputs\":[{{\"name\":\"Input\",\"datatype\":\"FP32\",\"shape\":[1,4,1,5],{tensor}}}]}}");
        byte[] body = binary ? [.. json, .. System.Runtime.InteropServices.MemoryMarshal.AsBytes(input.AsSpan())] : json;
        var head = "POST /v2/models/accumulate_fp32/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + $"Content-Type: {(binary ? "application/octet-stream" : "application/json")}\r\nContent-Length: {body.Length}\r\n"
            + (binary ? $"Inference-Header-Content-Length: {json.Length}\r\n" : "") + "\r\n";
        return [.. Encoding.ASCII.GetBytes(head), .. body];
    }

    /// <summary>Sends one request and reads its whole response (status 200 required) into <paramref name="buffer"/>.</summary>
    private static void Step(Socket socket, byte[] request, byte[] buffer)
    {
        socket.Send(request);
        var have = 0;
        var headerEnd = -1;
        var total = int.MaxValue;
        while (have < total)
        {
            var n = socket.Receive(buffer.AsSpan(have));
            if (n == 0) throw new IOException("the server closed the connection");
            have += n;
            if (headerEnd < 0 && (headerEnd = buffer.AsSpan(0, have).IndexOf("\r\n\r\n"u8)) >= 0)
            {
                var head = buffer.AsSpan(0, headerEnd);
                if (!head.StartsWith("HTTP/1.1 200"u8)) throw new InvalidOperationException(Encoding.ASCII.GetString(buffer, 0, have));
                total = headerEnd + 4 + ContentLength(head);
            }
        }
    }

    internal static int ContentLength(ReadOnlySpan<byte> head)
    {
        var at = head.IndexOf("Content-Length: "u8);
        var rest = head[(at + 16)..];
        var n = 0;
        foreach (var c in rest)
        {
            if (c is < (byte)'0' or > (byte)'9') break;
            n = n * 10 + (c - '0');
        }
        return n;
    }
}
