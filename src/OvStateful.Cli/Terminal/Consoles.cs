using Spectre.Console;

namespace OvStateful.Cli.Terminal;

/// <summary>
/// The Spectre console a command writes to: over the current <see cref="Console.Out"/> (so tests
/// that capture it see everything), with colours and live widgets only on a real terminal.
/// </summary>
internal static class Consoles
{
    /// <summary>False when stdout is redirected (a file, a pipe, a test): then progress is printed as plain lines.</summary>
    public static bool Interactive => !Console.IsOutputRedirected;

    public static IAnsiConsole Create()
    {
        var interactive = Interactive;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Out),
            Ansi = interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        // Redirected output has no width; keep tables on one line each.
        if (!interactive) console.Profile.Width = 200;
        return console;
    }
}
