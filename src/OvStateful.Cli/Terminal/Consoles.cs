using Spectre.Console;

namespace OvStateful.Cli.Terminal;

/// <summary>
/// The consoles a command writes to: results on standard output, progress on standard error,
/// each over the current <see cref="Console.Out"/> / <see cref="Console.Error"/> (so tests that
/// capture them see everything). Colours, rules, padding and live widgets only where that
/// stream is a terminal; redirected, results are plain lines (<see cref="Plain"/>).
/// </summary>
internal static class Consoles
{
    /// <summary>Standard output is redirected (a file, a pipe, a test): results are written as plain lines.</summary>
    public static bool Plain => Console.IsOutputRedirected;

    /// <summary>Standard error is a terminal: progress is a live bar; otherwise a plain line every two seconds.</summary>
    public static bool LiveProgress => !Console.IsErrorRedirected;

    public static IAnsiConsole Create() => Over(Console.Out, interactive: !Plain);

    public static IAnsiConsole Progress() => Over(Console.Error, interactive: LiveProgress);

    private static IAnsiConsole Over(TextWriter writer, bool interactive)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        // Redirected output has no width: never wrap a line (a path, a number) into two.
        if (!interactive) console.Profile.Width = 10_000;
        return console;
    }
}
