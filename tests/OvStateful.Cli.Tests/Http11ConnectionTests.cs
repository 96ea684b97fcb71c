using System.Net;
using System.Net.Sockets;
using System.Text;
using OvStateful.Cli.Remote;

namespace OvStateful.Cli.Tests;

/// <summary>
/// The load generator's own HTTP/1.1 client against a scripted server on loopback: the response
/// framings HTTP/1.1 allows (Content-Length, chunked with extensions and trailers, interim 100,
/// Connection: close) and a response split across reads. Each case checks the body and that the
/// next request goes where it should (the same connection, or a new one after close).
/// </summary>
public sealed class Http11ConnectionTests
{
    private static readonly byte[] Request = Encoding.ASCII.GetBytes("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n");

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nInference-Header-Content-Length: 2\r\n\r\nhello", 200, "hello", 2, false)]
    [InlineData("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3;ext=1\r\nhel\r\n2\r\nlo\r\n0\r\nX-Trailer: t\r\n\r\n", 200, "hello", -1, false)]
    [InlineData("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nbad", 400, "bad", -1, false)]
    [InlineData("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", 200, "ok", -1, true)]
    [InlineData("HTTP/1.1 200 OK\r\n\r\nto the end", 200, "to the end", -1, true)]
    public async Task Reads_each_framing_and_reuses_the_connection_unless_closed(string response, int status, string body, int headerLength, bool closes)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var accepted = 0;
        var server = Task.Run(async () =>
        {
            // Two requests: on one connection, or on two when the first response closes it.
            for (var served = 0; served < 2;)
            {
                using var client = await listener.AcceptTcpClientAsync();
                accepted++;
                var stream = client.GetStream();
                var buffer = new byte[4096];
                while (served < 2)
                {
                    var have = 0;
                    while (Encoding.ASCII.GetString(buffer, 0, have).IndexOf("\r\n\r\n", StringComparison.Ordinal) < 0)
                    {
                        var n = await stream.ReadAsync(buffer.AsMemory(have));
                        if (n == 0) break;
                        have += n;
                    }
                    if (have == 0) break;
                    var bytes = Encoding.ASCII.GetBytes(response);
                    // Split mid-head and mid-body: the client must put the pieces together.
                    await stream.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
                    await stream.FlushAsync();
                    await Task.Delay(20);
                    await stream.WriteAsync(bytes.AsMemory(bytes.Length / 2));
                    served++;
                    if (closes) break;
                }
            }
        });

        using var connection = new Http11Connection(new DnsEndPoint("127.0.0.1", port));
        for (var i = 0; i < 2; i++)
        {
            var r = await connection.ExchangeAsync(Request, CancellationToken.None);
            Assert.Equal(status, r.Status);
            Assert.Equal(body, Encoding.ASCII.GetString(connection.Body, 0, r.Length));
            Assert.Equal(headerLength, r.InferenceHeaderLength);
        }
        await server.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(closes ? 2 : 1, accepted);
    }
}
