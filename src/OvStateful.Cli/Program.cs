using System.CommandLine;
using OvStateful.Cli.Commands;

namespace OvStateful.Cli;

public static class Program
{
    public static int Main(string[] args) => BuildRoot().Parse(args).Invoke();

    /// <summary>The `ovs` command tree; each subcommand lives in Commands/ in a file of its own.</summary>
    public static RootCommand BuildRoot()
    {
        var root = new RootCommand("ovs: serve and measure stateful models (Triton-compatible repositories) with ONNX Runtime or OpenVINO.");
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(ValidateCommand.Create());
        root.Subcommands.Add(ConvertCommand.Create());
        return root;
    }
}
