using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace OvStateful.Cli.Terminal;

/// <summary>
/// Shows how far a running task is, on standard error (results go to standard output): a
/// Spectre progress bar on a terminal, a plain line every two seconds otherwise. It only polls
/// <c>completed</c>; the work runs on its own.
/// </summary>
internal static class ProgressDisplay
{
    /// <param name="total">Steps the work will do, or null when it runs for <paramref name="duration"/>.</param>
    public static async Task ShowAsync(string label, Func<long> completed, long? total, TimeSpan? duration, Task work)
    {
        var console = Consoles.Progress();
        var clock = Stopwatch.StartNew();
        double Value() => total is not null ? completed() : Math.Min(clock.Elapsed.TotalSeconds, duration?.TotalSeconds ?? 0);
        var max = total is { } t ? Math.Max(1, t) : Math.Max(0.001, duration?.TotalSeconds ?? 1);
        if (Consoles.LiveProgress)
        {
            await console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask(Markup.Escape(label), maxValue: max);
                    // Measured in windows until stable: no end is known in advance.
                    task.IsIndeterminate = total is null && duration is null;
                    while (!work.IsCompleted)
                    {
                        task.Value = Value();
                        task.Description = Markup.Escape($"{label} {Rate(completed(), clock.Elapsed)}");
                        await Task.WhenAny(work, Task.Delay(100)).ConfigureAwait(false);
                    }
                    task.Value = max;
                }).ConfigureAwait(false);
            return;
        }
        var next = TimeSpan.FromSeconds(2);
        while (!work.IsCompleted)
        {
            await Task.WhenAny(work, Task.Delay(200)).ConfigureAwait(false);
            if (work.IsCompleted || clock.Elapsed < next) continue;
            next += TimeSpan.FromSeconds(2);
            var done = completed();
            var of = total is { } n ? string.Create(CultureInfo.InvariantCulture, $"{done}/{n} steps ({100.0 * done / Math.Max(1, n):F0}%)")
                : duration is { } d ? string.Create(CultureInfo.InvariantCulture, $"{done} steps, {clock.Elapsed.TotalSeconds:F0}/{d.TotalSeconds:F0} s")
                : string.Create(CultureInfo.InvariantCulture, $"{done} steps, {clock.Elapsed.TotalSeconds:F0} s (windows until stable)");
            console.WriteLine($"{label}: {of}, {Rate(done, clock.Elapsed)}");
        }
    }

    private static string Rate(long steps, TimeSpan elapsed) =>
        string.Create(CultureInfo.InvariantCulture, $"{(elapsed.TotalSeconds > 0 ? steps / elapsed.TotalSeconds : 0):F0} steps/s");
}
