using System.Reflection;
using System.Runtime.InteropServices;
using OvStateful.Cli.Workloads;
using OvStateful.Core.Engines;

namespace OvStateful.Cli.Reports;

/// <summary>
/// Where and how a measurement was made, in every JSON: the machine (CPU model, cores), OS,
/// .NET, ovs's version and git revision, the command line, the measurement plan, and per
/// engine its runtime, version, device and threads (as the engine describes itself).
/// </summary>
internal sealed record Provenance
{
    public required string CommandLine { get; init; }
    public required string OvsVersion { get; init; }
    /// <summary>The commit ovs was built from (from its informational version), when known.</summary>
    public string? GitRevision { get; init; }
    public required string CpuModel { get; init; }
    public int Cores { get; init; }
    public required string Os { get; init; }
    public required string Dotnet { get; init; }
    public DateTimeOffset Started { get; init; }
    public MeasurementPlan? Measurement { get; init; }
    /// <summary>Per engine label ("onnxruntime", "onnxruntime #2"): what it runs on.</summary>
    public IReadOnlyDictionary<string, EngineDescription>? Engines { get; init; }

    /// <summary>The arguments ovs was started with (set by Program.Run).</summary>
    public static IReadOnlyList<string> Arguments { get; set; } = [];

    public static Provenance Now(MeasurementPlan? plan, IReadOnlyDictionary<string, EngineDescription>? engines = null)
    {
        var version = typeof(Provenance).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "";
        var plus = version.IndexOf('+');
        return new Provenance
        {
            CommandLine = string.Join(" ", new[] { "ovs" }.Concat(Arguments.Select(Quote))),
            OvsVersion = plus < 0 ? version : version[..plus],
            GitRevision = plus < 0 ? null : version[(plus + 1)..],
            CpuModel = CpuModelName(),
            Cores = Environment.ProcessorCount,
            Os = RuntimeInformation.OSDescription,
            Dotnet = RuntimeInformation.FrameworkDescription,
            Started = DateTimeOffset.Now,
            Measurement = plan,
            Engines = engines,
        };
    }

    private static string Quote(string a) => a.Length > 0 && a.All(c => char.IsLetterOrDigit(c) || "-_.,:/=@+".Contains(c)) ? a : "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>"model name" of /proc/cpuinfo on Linux; the architecture elsewhere.</summary>
    private static string CpuModelName()
    {
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
                if (line is not null) return line[(line.IndexOf(':') + 1)..].Trim();
            }
        }
        catch (IOException)
        {
        }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
