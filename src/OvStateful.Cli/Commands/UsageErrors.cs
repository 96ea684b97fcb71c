using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using OvStateful.Core.Text;

namespace OvStateful.Cli.Commands;

/// <summary>
/// Turns the parser's first error into one line in words: an unknown option or command names
/// the nearest valid ones, a value that is not a number says what was expected, a value not
/// among the choices lists them; then "see ovs CMD --help". Exit code 2.
/// </summary>
internal static partial class UsageErrors
{
    public const int ExitCode = 2;

    public static int Report(ParseResult parse, TextWriter error)
    {
        var command = parse.CommandResult.Command;
        var path = CommandPath(parse.CommandResult);
        error.WriteLine($"{path}: {Describe(parse, command)} (see {path} --help)");
        return ExitCode;
    }

    /// <summary>
    /// True when the parse failed, or when a token that looks like an option was taken as a
    /// command's argument (validate --bogus would read "--bogus" as the repository).
    /// </summary>
    public static bool Failed(ParseResult parse) => parse.Errors.Count > 0 || UnknownOptionAsArgument(parse) is not null;

    private static string? UnknownOptionAsArgument(ParseResult parse) =>
        parse.Tokens.FirstOrDefault(t => t.Type == TokenType.Argument && t.Value.Length > 1 && t.Value[0] == '-' && !char.IsDigit(t.Value[1]) && t.Value[1] != '.'
            && !IsOptionValue(parse, t))?.Value;

    /// <summary>A token that an option took as its value ("--set -x" would be odd, but it is the option's business).</summary>
    private static bool IsOptionValue(ParseResult parse, Token token)
    {
        var i = IndexOf(parse, token);
        return i > 0 && parse.Tokens[i - 1].Type == TokenType.Option && parse.Tokens[i - 1].Value != token.Value && ValueTypeOf(parse, parse.Tokens[i - 1].Value) is { } t && t != typeof(bool) && t != typeof(bool?);
    }

    private static int IndexOf(ParseResult parse, Token token)
    {
        for (var i = 0; i < parse.Tokens.Count; i++)
            if (ReferenceEquals(parse.Tokens[i], token)) return i;
        return -1;
    }

    private static Type? ValueTypeOf(ParseResult parse, string optionName)
    {
        for (SymbolResult? s = parse.CommandResult; s is not null; s = s.Parent)
        {
            if (s is CommandResult c && c.Command.Options.FirstOrDefault(o => o.Name == optionName || o.Aliases.Contains(optionName)) is { } o) return o.ValueType;
        }
        return null;
    }

    public static string Describe(ParseResult parse, Command command)
    {
        if (UnknownOptionAsArgument(parse) is { } asArgument)
            return $"unknown option {asArgument.Split('=', ':')[0]}; {Spelling.DidYouMean(asArgument.Split('=', ':')[0], OptionNames(parse.CommandResult).ToList())}";
        if (parse.UnmatchedTokens.Count > 0)
        {
            var token = parse.UnmatchedTokens[0];
            // "--log-info maybe": a switch's value that is not true or false is left unmatched.
            var at = parse.Tokens.Select((t, i) => (t, i)).FirstOrDefault(x => x.t.Value == token && x.t.Type == TokenType.Argument).i;
            if (at > 0 && parse.Tokens[at - 1].Type == TokenType.Option && ValueTypeOf(parse, parse.Tokens[at - 1].Value) is { } switchType
                && (switchType == typeof(bool) || switchType == typeof(bool?)))
                return $"{parse.Tokens[at - 1].Value} expects true or false, not \"{token}\"";
            if (token.StartsWith('-'))
            {
                var name = token.Split('=', ':')[0];
                var options = OptionNames(parse.CommandResult).ToList();
                return $"unknown option {name}; {Spelling.DidYouMean(name, options)}";
            }
            if (command.Subcommands.Count > 0)
                return $"unknown command \"{token}\"; {Spelling.DidYouMean(token, command.Subcommands.Select(c => c.Name))}";
            return $"unexpected argument \"{token}\"";
        }
        var first = parse.Errors[0];
        var message = first.Message.ReplaceLineEndings(" ");
        var option = first.SymbolResult switch
        {
            OptionResult o => o.Option,
            ArgumentResult { Parent: OptionResult o } => o.Option,
            _ => null,
        };
        if (option is not null)
        {
            var given = LastToken(first.SymbolResult!);
            if (message.StartsWith("Cannot parse argument", StringComparison.Ordinal))
                return $"{option.Name} expects {Expected(option.ValueType)}, not \"{given}\"";
            if (message.Contains("not recognized. Must be one of", StringComparison.Ordinal))
            {
                var choices = Quoted().Matches(message.Split("Must be one of", 2)[1]).Select(m => m.Groups[1].Value);
                return $"{option.Name} expects {string.Join(" or ", choices)}, not \"{given}\"";
            }
            if (RequiredOption().Match(message) is { Success: true } m) return $"{m.Groups[1].Value} is required";
        }
        return message;
    }

    /// <summary>The value type in words: "a whole number", "a number", "true or false", ...</summary>
    public static string Expected(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t == typeof(int) || t == typeof(long)) return "a whole number";
        if (t == typeof(uint) || t == typeof(ulong)) return "a whole number ≥ 0";
        if (t == typeof(double) || t == typeof(float)) return "a number (e.g. 2.5)";
        if (t == typeof(bool)) return "true or false";
        return "a " + t.Name.ToLowerInvariant();
    }

    private static string LastToken(SymbolResult r) => r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";

    /// <summary>"ovs serve", "ovs" for the root.</summary>
    private static string CommandPath(CommandResult r)
    {
        var names = new List<string>();
        for (SymbolResult? s = r; s is not null; s = s.Parent)
            if (s is CommandResult c) names.Insert(0, c.Command is RootCommand ? "ovs" : c.Command.Name);
        return string.Join(" ", names);
    }

    /// <summary>Every option name and alias the command accepts, its recursive parents' included (--help).</summary>
    private static IEnumerable<string> OptionNames(CommandResult r)
    {
        for (SymbolResult? s = r; s is not null; s = s.Parent)
        {
            if (s is not CommandResult c) continue;
            foreach (var o in c.Command.Options)
            {
                if (s != r && !o.Recursive) continue;
                yield return o.Name;
                foreach (var a in o.Aliases) yield return a;
            }
        }
    }

    [GeneratedRegex("'([^']*)'")]
    private static partial Regex Quoted();

    [GeneratedRegex("^Option '([^']+)' is required")]
    private static partial Regex RequiredOption();
}
