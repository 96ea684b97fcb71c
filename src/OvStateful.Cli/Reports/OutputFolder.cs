using System.Globalization;

namespace OvStateful.Cli.Reports;

/// <summary>
/// Where run, compare and bench write their files when -o is not given:
/// ./ovs-out/&lt;command&gt;-&lt;yyyyMMdd-HHmmss&gt;/ in the working folder, a new folder per run, so
/// nothing overwrites an earlier result and a checkout's tracked files stay untouched
/// (ovs-out/ is git-ignored).
/// </summary>
internal static class OutputFolder
{
    public const string Root = "ovs-out";

    /// <summary>The folder given with -o, or a fresh one under ./ovs-out/ (created either way).</summary>
    /// <param name="workingFolder">Where ovs-out/ goes (default: the working folder).</param>
    public static string Resolve(DirectoryInfo? given, string command, string? workingFolder = null, DateTime? now = null)
    {
        if (given is not null)
        {
            Directory.CreateDirectory(given.FullName);
            return given.FullName;
        }
        var stamp = (now ?? DateTime.Now).ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var baseName = Path.GetFullPath(Path.Combine(workingFolder ?? Directory.GetCurrentDirectory(), Root, $"{command}-{stamp}"));
        var path = baseName;
        // Two runs in the same second (a script) get -2, -3, ...
        for (var n = 2; Directory.Exists(path); n++) path = $"{baseName}-{n}";
        Directory.CreateDirectory(path);
        return path;
    }
}
