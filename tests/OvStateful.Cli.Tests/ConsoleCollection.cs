namespace OvStateful.Cli.Tests;

/// <summary>Console output is process-wide: every test class that captures it joins this collection, so they run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "console";
}
