using System.Globalization;

namespace OvStateful.Server.Grpc;

/// <summary>The grpc-timeout header: up to 8 digits and a unit (H, M, S, m, u, n).</summary>
internal static class GrpcDeadline
{
    public static bool TryParse(string? header, out TimeSpan timeout)
    {
        timeout = default;
        if (string.IsNullOrEmpty(header) || header.Length < 2 || header.Length > 9) return false;
        if (!long.TryParse(header.AsSpan(0, header.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var value)) return false;
        double ticks = header[^1] switch
        {
            'H' => value * (double)TimeSpan.TicksPerHour,
            'M' => value * (double)TimeSpan.TicksPerMinute,
            'S' => value * (double)TimeSpan.TicksPerSecond,
            'm' => value * (double)TimeSpan.TicksPerMillisecond,
            'u' => value * (double)TimeSpan.TicksPerMicrosecond,
            'n' => value / 100.0,
            _ => -1,
        };
        if (ticks < 0) return false;
        // CancelAfter takes at most ~24.8 days and at least 1 ms; clamp rather than refuse.
        timeout = TimeSpan.FromTicks((long)Math.Clamp(ticks, TimeSpan.TicksPerMillisecond, TimeSpan.TicksPerDay * 24));
        return true;
    }
}
