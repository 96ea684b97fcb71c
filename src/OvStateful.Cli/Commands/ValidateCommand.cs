using System.CommandLine;

namespace OvStateful.Cli.Commands;

internal static class ValidateCommand
{
    public static Command Create()
    {
        var repo = new Argument<DirectoryInfo>("repository") { Description = "Model repository folder" };
        var cmd = new Command("validate", "Check every model of a repository: config.pbtxt, versions, model files.") { repo };
        cmd.SetAction(_ =>
        {
            Console.Error.WriteLine("ovs validate: not implemented yet");
            return 1;
        });
        return cmd;
    }
}
