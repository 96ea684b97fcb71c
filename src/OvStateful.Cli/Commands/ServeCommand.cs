using System.CommandLine;

namespace OvStateful.Cli.Commands;

internal static class ServeCommand
{
    public static Command Create()
    {
        var cmd = new Command("serve", "Serve a model repository over KServe v2 HTTP and gRPC (default: models/ on 127.0.0.1).");
        cmd.SetAction(_ =>
        {
            Console.Error.WriteLine("ovs serve: not implemented yet");
            return 1;
        });
        return cmd;
    }
}
