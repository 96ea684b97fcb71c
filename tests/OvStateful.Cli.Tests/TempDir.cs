namespace OvStateful.Cli.Tests;

/// <summary>A fresh temporary folder (<see cref="CliRunner.TempFolder"/>), deleted with all it holds when disposed: <c>using var dir = new TempDir();</c>.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = CliRunner.TempFolder();

    public string this[string name] => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
