using System.Net.Sockets;
using System.Text.RegularExpressions;
using OvStateful.Server.Hosting;

namespace OvStateful.Cli.Commands;

/// <summary>Kestrel's "address already in use" as one line naming the port and the flag that sets it.</summary>
internal static partial class PortInUse
{
    /// <summary>The line, or null when <paramref name="e"/> is not about a port in use.</summary>
    public static string? Describe(Exception e, ServerOptions options)
    {
        var inUse = false;
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } || x.GetType().Name == "AddressInUseException") inUse = true;
        }
        if (!inUse) return null;
        var port = PortIn().Match(e.Message) is { Success: true } m ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : -1;
        (string Flag, string Key, int Port)[] ports =
        [
            ("--http-port", nameof(ServerOptions.HttpPort), options.HttpPort),
            ("--grpc-port", nameof(ServerOptions.GrpcPort), options.GrpcPort),
            ("--metrics-port", nameof(ServerOptions.MetricsPort), options.MetricsPort),
        ];
        var which = ports.FirstOrDefault(p => p.Port == port);
        return which.Flag is null
            ? $"an address is already in use ({e.Message}); choose other ports with --http-port, --grpc-port and --metrics-port (0 = any free port)"
            : $"port {port} on {options.Host} is already in use; another process holds it (a second ovs serve?). Choose another with {which.Flag} N (or Server:{which.Key}; 0 = any free port)";
    }

    [GeneratedRegex(@":(\d+)\b")]
    private static partial Regex PortIn();
}
