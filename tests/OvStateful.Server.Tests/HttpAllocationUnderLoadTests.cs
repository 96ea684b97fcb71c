using System.Diagnostics.Tracing;
using System.Net.Sockets;
using System.Text;
using OvStateful.Core.Serving;
using OvStateful.OnnxRuntime;
using OvStateful.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace OvStateful.Server.Tests;

/// <summary>
/// Managed allocation per REST step on the server with many sequences in flight at once (each on
/// its own keep-alive connection), where pools that serve one request at a time well can miss:
/// the same 1 KB bound as <see cref="HttpAllocationTests"/>. What allocated is sampled with the
/// runtime's GCAllocationTick events (one per ~100 KB, naming the type) and printed, so a
/// failure says where to look. Clients are async socket loops that allocate nothing per step.
/// </summary>
[Collection(AllocationCollection.Name)]
public sealed class HttpAllocationUnderLoadTests(ITestOutputHelper output)
{
    private const int Connections = 64;

    [OrtTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_rest_step_allocates_at_most_1_KB_with_64_sequences_in_flight(bool binary)
    {
        await using var registry = new ModelRegistry(TestPaths.Conformance, [new OnnxRuntimeEngineProvider()]);
        await registry.LoadAllAsync();
        await using var server = await TestServer.StartAsync(registry);
        var clients = new Client[Connections];
        for (var c = 0; c < Connections; c++)
        {
            var sequence = (binary ? 8000UL : 9000UL) + (ulong)c;
            clients[c] = await Client.ConnectAsync(server.Server.HttpPort, HttpAllocationTests.Request(sequence, true, binary), HttpAllocationTests.Request(sequence, false, binary));
        }
        const int warmup = 100, blocks = 3, perBlock = 150, measured = blocks * perBlock;
        await Task.WhenAll(clients.Select(c => c.RunAsync(warmup)));

        // In blocks, the fewest bytes taken (as in HttpAllocationTests: a one-off lands in one block only).
        using var ticks = new AllocationTicks();
        var block = new double[blocks];
        for (var b = 0; b < blocks; b++)
        {
            var before = GC.GetTotalAllocatedBytes(precise: true);
            await Task.WhenAll(clients.Select(c => c.RunAsync(perBlock)));
            block[b] = (double)(GC.GetTotalAllocatedBytes(precise: true) - before) / (perBlock * Connections);
        }
        var perStep = block.Min();
        foreach (var c in clients) c.Dispose();

        output.WriteLine($"{(binary ? "binary tensors" : "JSON tensors")}, {Connections} connections: {perStep:F0} bytes allocated per step on the server "
            + $"(the least of {blocks} blocks of {perBlock * Connections} steps: {string.Join(", ", block.Select(v => v.ToString("F0")))}); sampled over all:");
        foreach (var (type, bytes) in ticks.Top(12)) output.WriteLine($"  {bytes / (measured * Connections),6:F0} B/step  {type}");
        Assert.True(perStep <= HttpAllocationTests.BytesPerStep, $"the server allocated {perStep:F0} bytes per REST step with {Connections} in flight; at most {HttpAllocationTests.BytesPerStep} expected");
    }

    /// <summary>One keep-alive connection sending one sequence's steps, one at a time.</summary>
    private sealed class Client(Socket socket, byte[] first, byte[] next) : IDisposable
    {
        /// <summary>Whole responses are read into it; big enough for every response here.</summary>
        private readonly byte[] _buffer = new byte[16 * 1024];
        private bool _started;

        public static async Task<Client> ConnectAsync(int port, byte[] first, byte[] next)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync("127.0.0.1", port);
            return new Client(socket, first, next);
        }

        public async Task RunAsync(int steps)
        {
            for (var i = 0; i < steps; i++)
            {
                await socket.SendAsync((_started ? next : first).AsMemory(), SocketFlags.None);
                _started = true;
                var have = 0;
                var total = int.MaxValue;
                while (have < total)
                {
                    var n = await socket.ReceiveAsync(_buffer.AsMemory(have), SocketFlags.None);
                    if (n == 0) throw new IOException("the server closed the connection");
                    have += n;
                    if (total == int.MaxValue) total = Total(_buffer.AsSpan(0, have));
                }
            }
        }

        /// <summary>The whole response's length once its head is in (status 200 required); int.MaxValue before.</summary>
        private static int Total(ReadOnlySpan<byte> have)
        {
            var headerEnd = have.IndexOf("\r\n\r\n"u8);
            if (headerEnd < 0) return int.MaxValue;
            var head = have[..headerEnd];
            if (!head.StartsWith("HTTP/1.1 200"u8)) throw new InvalidOperationException(Encoding.ASCII.GetString(have));
            return headerEnd + 4 + HttpAllocationTests.ContentLength(head);
        }

        public void Dispose() => socket.Dispose();
    }

    /// <summary>The runtime's allocation samples (GCAllocationTick: the type whose allocation crossed each ~100 KB), summed per type.</summary>
    private sealed class AllocationTicks : EventListener
    {
        private readonly Dictionary<string, double> _bytes = [];

        protected override void OnEventSourceCreated(EventSource source)
        {
            // GC keyword (0x1) at Verbose: AllocationTick is a verbose GC event.
            if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.PayloadNames is null) return;
            var type = e.Payload![e.PayloadNames.IndexOf("TypeName")] as string ?? "?";
            var amount = Convert.ToDouble(e.Payload[e.PayloadNames.IndexOf("AllocationAmount64")]);
            lock (_bytes) _bytes[type] = _bytes.GetValueOrDefault(type) + amount;
        }

        public IEnumerable<(string Type, double Bytes)> Top(int n)
        {
            lock (_bytes) return _bytes.OrderByDescending(p => p.Value).Take(n).Select(p => (p.Key, p.Value)).ToList();
        }
    }
}
