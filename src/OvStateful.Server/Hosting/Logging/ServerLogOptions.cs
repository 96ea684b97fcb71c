namespace OvStateful.Server.Hosting.Logging;

/// <summary>
/// Triton's logging switches (--log-verbose, --log-info, --log-warning, --log-error,
/// --log-format, --log-file), bound from section "Server:Log". The standard "Logging" section
/// (Logging:LogLevel:Default, per-category levels) applies on top of the level they set.
/// </summary>
public sealed class ServerLogOptions
{
    /// <summary>0 = no verbose lines; 1 = debug lines (a line per sequence start/end/spill/restore/expiry and per failed request); 2 and more = trace too.</summary>
    public int Verbose { get; set; }

    /// <summary>Information lines (start-up tables, lifecycle).</summary>
    public bool Info { get; set; } = true;

    /// <summary>Warning lines (a device other than the one asked for, a model that failed to load).</summary>
    public bool Warning { get; set; } = true;

    /// <summary>Error and critical lines.</summary>
    public bool Error { get; set; } = true;

    /// <summary>"default" (Triton-style "I1201 12:00:00.000123 category] message" lines) or "json" (one JSON object a line).</summary>
    public string Format { get; set; } = "default";

    /// <summary>Write log lines to this file (appended) instead of standard output; empty = standard output.</summary>
    public string File { get; set; } = "";

    /// <summary>The formats <see cref="Format"/> accepts.</summary>
    public static readonly IReadOnlyList<string> Formats = ["default", "json"];
}
