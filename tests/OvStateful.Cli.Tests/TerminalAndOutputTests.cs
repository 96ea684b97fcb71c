using OvStateful.Cli.Reports;
using OvStateful.Cli.Terminal;
using OvStateful.Cli.Workloads;
using OvStateful.Core.Sequences;
using OvStateful.OnnxRuntime;
using Spectre.Console;

namespace OvStateful.Cli.Tests;

/// <summary>What a person sees: tables within 80 columns, outputs in ./ovs-out/, Ctrl+C keeps the partial results and ENDs the sequences.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class TerminalAndOutputTests
{
    private static (IAnsiConsole Console, StringWriter Text) Terminal(int width)
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
        });
        console.Profile.Width = width;
        return (console, text);
    }

    private static readonly string[] Header = ["engine", "steps/s", "p50 ms", "p95 ms", "p99 ms", "batch", "peak WS", "GC heap", "failed", "max |Δ|", "max rel Δ"];
    private static readonly IReadOnlyList<string>[] Rows =
    [
        ["onnxruntime", "12345.6", "1.234", "2.345", "13.456", "7.89", "123.4 MiB", "12.3 MiB", "0", "0", "0"],
        ["onnxruntime:cuda:1", "98765.4", "0.123", "0.456", "0.789", "31.99", "1.21 GiB", "45.6 MiB", "0", "1.192E-07", "3.421E-06"],
    ];

    [Fact]
    public void A_wide_table_fits_80_columns_without_wrapping_a_number()
    {
        var (console, text) = Terminal(80);
        ResultTable.Write(console, plain: false, "engines side by side", Header, Rows);
        var lines = text.ToString().Split('\n');
        Assert.All(lines, l => Assert.True(l.TrimEnd().Length <= 80, $"{l.TrimEnd().Length} columns: {l}"));
        foreach (var cell in Rows.SelectMany(r => r)) Assert.Contains(lines, l => l.Contains(cell, StringComparison.Ordinal));
    }

    [Fact]
    public void A_table_that_fits_is_a_bordered_table()
    {
        var (console, text) = Terminal(200);
        ResultTable.Write(console, plain: false, "engines side by side", Header, Rows);
        Assert.Contains("│ onnxruntime:cuda:1 │", text.ToString());
    }

    [Fact]
    public void Redirected_tables_are_tab_separated_lines()
    {
        var (console, text) = Terminal(80);
        ResultTable.Write(console, plain: true, "engines side by side", Header, Rows);
        var lines = text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal(["engines side by side", string.Join('\t', Header), string.Join('\t', Rows[0]), string.Join('\t', Rows[1])], lines);
    }

    [Fact]
    public void Outputs_default_to_a_new_folder_under_ovs_out()
    {
        var dir = CliRunner.TempFolder();
        try
        {
            var at = new DateTime(2026, 12, 1, 10, 15, 0);
            var first = OutputFolder.Resolve(null, "bench", dir, at);
            var second = OutputFolder.Resolve(null, "bench", dir, at);
            Assert.Equal(Path.Combine(dir, "ovs-out", "bench-20261201-101500"), first);
            Assert.Equal(first + "-2", second);
            Assert.True(Directory.Exists(first) && Directory.Exists(second));
            Assert.Equal(Path.Combine(dir, "given"), OutputFolder.Resolve(new DirectoryInfo(Path.Combine(dir, "given")), "bench", dir, at));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [OrtAvailableFact]
    public void Run_writes_run_json_under_ovs_out_of_the_working_folder()
    {
        var dir = CliRunner.TempFolder();
        var saved = Directory.GetCurrentDirectory();
        try
        {
            Directory.SetCurrentDirectory(dir);
            var (exit, output, error) = CliRunner.Run("run", "--measurement-mode", "once", "-r", CliRunner.Models, "-m", "accumulate", "-n", "2", "-k", "3");
            Assert.True(exit == 0, error + output);
            var folder = Assert.Single(Directory.GetDirectories(Path.Combine(dir, "ovs-out")));
            Assert.StartsWith("run-", Path.GetFileName(folder));
            Assert.True(File.Exists(Path.Combine(folder, "run.json")));
            Assert.Contains($"wrote {Path.Combine(folder, "run.json")}", output);
        }
        finally
        {
            Directory.SetCurrentDirectory(saved);
            Directory.Delete(dir, recursive: true);
        }
    }

    [OrtAvailableFact]
    public async Task Cancelling_keeps_the_partial_results_and_ends_every_started_sequence()
    {
        var providers = EngineProviders.Create(new OnnxRuntimeOptions { IntraOpThreads = 1 });
        var target = ModelTarget.Resolve(CliRunner.Models, "accumulate");
        var choice = EngineChoice.Parse("onnxruntime", providers);
        await using var served = EngineRun.TryLoad(target, choice, providers, BatcherOptions.Default, out var reason);
        Assert.True(served is not null, reason);
        var source = new SyntheticSteps(served.Inputs, 4, 1_000_000);
        var workload = new StreamingWorkload(source, new WorkloadSettings { Clients = 4 }, _ => new ServedModelClient(served));
        using var cancel = new CancellationTokenSource();
        var run = workload.RunAsync(cancel.Token);
        while (workload.Completed < 200 && !run.IsCompleted) await Task.Delay(10);
        cancel.Cancel();
        var result = await run;

        Assert.True(result.Cancelled);
        Assert.True(result.StepsOk >= 200, $"{result.StepsOk} steps");
        Assert.Equal(0, result.StepsFailed);
        Assert.True(result.Latency.P50Ms > 0);
        Assert.Equal(4, workload.SequencesEndedOnCancel);
        // Without the ENDs the four sequences would hold their slots until the idle timeout (60 s).
        Assert.Equal(0, served.GetStatistics().ActiveSequences);
    }
}
