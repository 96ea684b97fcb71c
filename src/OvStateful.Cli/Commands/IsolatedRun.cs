using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using OvStateful.Cli.Reports;
using OvStateful.Cli.Terminal;

namespace OvStateful.Cli.Commands;

/// <summary>
/// One engine measured in a process of its own: <c>ovs run ... --json FILE</c> started from this
/// same ovs (the apphost beside it, else the dotnet host with ovs.dll), so an engine never
/// shares a heap, a thread pool, native allocations or a JIT state with the engine measured
/// before it. Its results come back through the JSON it writes; its progress lines (standard
/// error, plain when redirected) feed this process's progress display.
/// </summary>
internal static partial class IsolatedRun
{
    /// <param name="Report">The child's run.json; null when it did not write one (the engine could not run; see <paramref name="Error"/>).</param>
    /// <param name="Error">The child's last lines of standard error when it failed.</param>
    internal sealed record Outcome(int Exit, RunReport? Report, string? Error);

    /// <summary>One child run with this process's progress display (labelled <paramref name="label"/>) fed by the child's progress lines.</summary>
    public static async Task<Outcome> ShowAsync(string label, IReadOnlyList<string> arguments, string jsonFile, CancellationToken cancellationToken)
    {
        long done = 0;
        var child = RunAsync(arguments, jsonFile, n => Volatile.Write(ref done, n), cancellationToken);
        await ProgressDisplay.ShowAsync(label, () => Volatile.Read(ref done), null, null, child).ConfigureAwait(false);
        return await child.ConfigureAwait(false);
    }

    /// <param name="progress">Set to the steps the child has completed, as it reports them.</param>
    public static async Task<Outcome> RunAsync(IReadOnlyList<string> arguments, string jsonFile, Action<long> progress, CancellationToken cancellationToken)
    {
        var start = StartInfo([.. arguments, "--json", jsonFile]);
        using var process = new Process { StartInfo = start };
        var errors = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            var m = StepsDone().Match(e.Data);
            if (m.Success) progress(long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
            else lock (errors) errors.AppendLine(e.Data);
        };
        // Results are read from the JSON; the child's table is not needed.
        process.OutputDataReceived += (_, _) => { };
        if (File.Exists(jsonFile)) File.Delete(jsonFile);
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new Outcome(-1, null, $"{start.FileName} could not be started: {e.Message}");
        }
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        process.WaitForExit(); // drains the redirected streams
        RunReport? report = null;
        if (File.Exists(jsonFile))
        {
            try
            {
                report = JsonSerializer.Deserialize<RunReport>(File.ReadAllText(jsonFile), ReportFiles.Json);
            }
            catch (JsonException e)
            {
                return new Outcome(process.ExitCode, null, $"its {jsonFile} could not be read: {e.Message}");
            }
        }
        string text;
        lock (errors) text = errors.ToString().Trim();
        return new Outcome(process.ExitCode, report, text.Length == 0 ? null : text);
    }

    /// <summary>
    /// The command line this process was parsed from (response files expanded) without the
    /// given options and their values: how a child repeats this very command.
    /// </summary>
    public static List<string> ArgumentsWithout(ParseResult parse, params Option[] options)
    {
        var dropped = new HashSet<Token>(ReferenceEqualityComparer.Instance);
        foreach (var o in options)
        {
            if (parse.GetResult(o) is not { } r) continue;
            if (r.IdentifierToken is { } id) dropped.Add(id);
            foreach (var t in r.Tokens) dropped.Add(t);
        }
        return [.. parse.Tokens.Where(t => !dropped.Contains(t)).Select(t => t.Value)];
    }

    /// <summary>The last <paramref name="count"/> lines of a child's standard error (the reason is at its end; a stack trace would drown it).</summary>
    public static string LastLines(string text, int count = 5)
    {
        var lines = text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return string.Join(Environment.NewLine, lines.Skip(Math.Max(0, lines.Length - count)));
    }

    /// <summary>How to start this same ovs again: its apphost when there is one beside ovs.dll, else the dotnet host running ovs.dll.</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        var dll = typeof(Program).Assembly.Location;
        var folder = Path.GetDirectoryName(dll)!;
        var apphost = Path.Combine(folder, OperatingSystem.IsWindows() ? "ovs.exe" : "ovs");
        ProcessStartInfo start;
        if (File.Exists(apphost)) start = new ProcessStartInfo(apphost);
        else
        {
            var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h ? h
                : Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath! : "dotnet";
            start = new ProcessStartInfo(host);
            start.ArgumentList.Add(dll);
        }
        foreach (var a in arguments) start.ArgumentList.Add(a);
        start.RedirectStandardError = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardInput = true;
        start.UseShellExecute = false;
        return start;
    }

    // The plain progress line of a redirected run: "label: 1234 steps, ...".
    [GeneratedRegex(@": (\d+)(?:/\d+)? steps\b")]
    private static partial Regex StepsDone();
}
