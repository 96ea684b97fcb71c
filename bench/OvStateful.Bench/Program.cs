using BenchmarkDotNet.Running;

namespace OvStateful.Bench;

/// <summary>
/// BenchmarkDotNet entry: `dotnet run -c Release --project bench/OvStateful.Bench -- --filter '*'`.
/// See bench/README.md for the recorded results and the exact commands.
/// </summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, new BenchConfig());
}
