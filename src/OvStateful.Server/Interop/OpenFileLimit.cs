using System.Runtime.InteropServices;

namespace OvStateful.Server.Interop;

/// <summary>
/// The process's open-file limit (RLIMIT_NOFILE) on Linux: every connection takes a file
/// descriptor, so the connection cap is derived from it. Elsewhere: unknown (null).
/// </summary>
internal static partial class OpenFileLimit
{
    private const int RLIMIT_NOFILE = 7; // Linux

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current; // rlim_cur: the soft limit, what open() is held to
        public ulong Maximum; // rlim_max: the hard limit, how far an unprivileged process may raise it
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRLimit(int resource, out RLimit limit); // int getrlimit(int, struct rlimit*)

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetRLimit(int resource, in RLimit limit); // int setrlimit(int, const struct rlimit*)

    /// <summary>The soft limit now, or null where it cannot be read.</summary>
    public static long? Current()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            return GetRLimit(RLIMIT_NOFILE, out var l) == 0 ? Clamp(l.Current) : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Raises the soft limit to the hard one (as Go's runtime does for every program): the
    /// common default of 1024 is far below what a server's connections need. Returns the
    /// (old, new) soft limits, or null when nothing could be read or changed.
    /// </summary>
    public static (long Old, long New)? RaiseToHardLimit()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            if (GetRLimit(RLIMIT_NOFILE, out var l) != 0 || l.Current >= l.Maximum) return null;
            var raised = l with { Current = l.Maximum };
            return SetRLimit(RLIMIT_NOFILE, raised) == 0 ? (Clamp(l.Current), Clamp(l.Maximum)) : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    private static long Clamp(ulong v) => v > long.MaxValue ? long.MaxValue : (long)v;
}
