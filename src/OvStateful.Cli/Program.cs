using System.CommandLine;
using OvStateful.Cli.Commands;

namespace OvStateful.Cli;

public static class Program
{
    public static int Main(string[] args) => Run(args);

    /// <summary>
    /// Parses strictly (an unknown option is an error for every command, <see cref="UsageErrors"/>
    /// says it in one line, exit 2) and runs the command. Ctrl+C cancels the command's token; the
    /// command then has up to 30 s to print its partial results and END its sequences.
    /// </summary>
    public static int Run(string[] args)
    {
        Reports.Provenance.Arguments = args;
        var parse = BuildRoot().Parse(args);
        if (UsageErrors.Failed(parse) && parse.Action is not { ClearsParseErrors: true })
            return UsageErrors.Report(parse, Console.Error);
        return parse.Invoke(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(30) });
    }

    /// <summary>The `ovs` command tree; each subcommand lives in Commands/ in a file of its own.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("ovs: serve and measure stateful models (Triton-compatible repositories) with ONNX Runtime or OpenVINO.");
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(ValidateCommand.Create());
        root.Subcommands.Add(ClusterCommand.Create());
        root.Subcommands.Add(ConvertCommand.Create());
        root.Subcommands.Add(RunCommand.Create());
        root.Subcommands.Add(CompareCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        return root;
    }
}
