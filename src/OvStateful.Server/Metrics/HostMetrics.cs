using System.Globalization;

namespace OvStateful.Server.Metrics;

/// <summary>
/// Triton's CPU metrics from Linux's /proc: utilization between two scrapes (from /proc/stat's
/// busy and total jiffies; the first scrape covers the time since boot) and memory from
/// /proc/meminfo (used = MemTotal - MemAvailable, as Triton reads it). Elsewhere, or when a
/// file cannot be read, the gauges are left out rather than reported as 0.
/// </summary>
internal sealed class HostMetrics
{
    private readonly Lock _lock = new();
    // The previous scrape's /proc/stat totals (both 0 before the first): utilization is the busy share of the time since.
    private long _lastBusy, _lastTotal;

    /// <summary>CPU utilization in [0, 1] since the last call, or null when /proc/stat cannot be read.</summary>
    public double? CpuUtilization()
    {
        if (ReadCpu() is not (long busy, long total)) return null;
        lock (_lock)
        {
            var dBusy = busy - _lastBusy;
            var dTotal = total - _lastTotal;
            (_lastBusy, _lastTotal) = (busy, total);
            return dTotal <= 0 ? 0 : Math.Clamp((double)dBusy / dTotal, 0, 1);
        }
    }

    /// <summary>(total, used) bytes of RAM, or null when /proc/meminfo cannot be read.</summary>
    public static (long Total, long Used)? Memory()
    {
        try
        {
            long total = -1, available = -1;
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (line.StartsWith("MemTotal:", StringComparison.Ordinal)) total = Kilobytes(line);
                else if (line.StartsWith("MemAvailable:", StringComparison.Ordinal)) available = Kilobytes(line);
            }
            return total < 0 || available < 0 ? null : (total * 1024, (total - available) * 1024);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    private static long Kilobytes(string line) =>
        long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);

    /// <summary>/proc/stat's first line: user nice system idle iowait irq softirq steal; idle and iowait are not busy.</summary>
    private static (long Busy, long Total)? ReadCpu()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            var fields = reader.ReadLine()?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields is null || fields.Length < 5 || fields[0] != "cpu") return null;
            long total = 0, idle = 0;
            for (var i = 1; i < Math.Min(fields.Length, 9); i++)
            {
                var v = long.Parse(fields[i], CultureInfo.InvariantCulture);
                total += v;
                if (i is 4 or 5) idle += v;
            }
            return (total - idle, total);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }
}
