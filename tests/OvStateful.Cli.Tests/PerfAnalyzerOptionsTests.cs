using OvStateful.Cli.Reports;
using OvStateful.Cli.Workloads;
using OvStateful.Core.Engines;
using OvStateful.Core.Tensors;

namespace OvStateful.Cli.Tests;

/// <summary>perf_analyzer's options with perf_analyzer's meanings: its latency report's layout, its input data format, its sequence lengths and ids.</summary>
public class PerfAnalyzerOptionsTests
{
    // The header perf_analyzer 2.51 (../shared/triton) wrote with -f for a sequence model over
    // gRPC, without --verbose-csv (seen against both tritonserver and ovs serve).
    private const string PerfAnalyzerHeader =
        "Concurrency,Inferences/Second,Client Send,Network+Server Send/Recv,Server Queue,Server Compute Input,Server Compute Infer,Server Compute Output,Client Recv,p50 latency,p90 latency,p95 latency,p99 latency";

    private static MeasurementReport Row(int clients, double stepsPerSecond, double p50Ms, double? rate = null) => new()
    {
        Engine = $"n={clients}",
        Clients = clients,
        StepsPerSecond = stepsPerSecond,
        RequestRate = rate,
        LatencyMs = new LatencySummary(2.0587, p50Ms, 2.4, 3.7975, 6.6379, 9) { ChosenPercentile = 85, ChosenMs = 2.2 },
        Server = new ServerSideReport(100, 25, 100, 1500, 1297.9, 1.2, 67.99, 5.5, 0, 679.6),
    };

    [Fact]
    public void Latency_report_has_perf_analyzers_columns_and_its_row_order()
    {
        var dir = CliRunner.TempFolder();
        try
        {
            var file = Path.Combine(dir, "pa.csv");
            LatencyReportCsv.Write(file, [Row(4, 1885.19, 1.7961), Row(1, 540.182, 1.639)], requestRate: false, percentile: 99);
            var lines = File.ReadAllLines(file);
            Assert.Equal(PerfAnalyzerHeader, lines[0]);
            // Rows by rising throughput, whole microseconds cut as perf_analyzer's integer division cuts them.
            Assert.Equal("1,540.182,0,679,1297,1,67,5,0,1639,2400,3797,6637", lines[1]);
            Assert.Equal("4,1885.19,0,679,1297,1,67,5,0,1796,2400,3797,6637", lines[2]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Latency_report_in_request_rate_mode_adds_the_percentile_asked_for_in_order()
    {
        var dir = CliRunner.TempFolder();
        try
        {
            var file = Path.Combine(dir, "pa.csv");
            LatencyReportCsv.Write(file, [Row(4, 199.894, 1.928, rate: 200)], requestRate: true, percentile: 85);
            var lines = File.ReadAllLines(file);
            Assert.StartsWith("Request Rate,Inferences/Second,", lines[0]);
            Assert.EndsWith(",Client Recv,p50 latency,p85 latency,p90 latency,p95 latency,p99 latency", lines[0]);
            Assert.StartsWith("200,199.894,", lines[1]);
            Assert.EndsWith(",1928,2200,2400,3797,6637", lines[1]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static readonly TensorSpec Input = new("INPUT", DataType.Int32, [1, 2]);
    private static readonly TensorSpec Flag = new("FLAG", DataType.Bool, [1, 1]);

    [Fact]
    public void Input_data_streams_are_lists_of_steps_with_arrays_base64_and_shapes()
    {
        var b64 = Convert.ToBase64String(new byte[] { 7, 0, 0, 0, 8, 0, 0, 0 });
        var json = $$$"""
            {"data": [
              [{"INPUT": [1, 2], "FLAG": [true]}, {"INPUT": {"b64": "{{{b64}}}"}, "FLAG": [0]}],
              [{"INPUT": {"content": [[5, 6]], "shape": [2]}, "FLAG": {"content": [1], "shape": [1, 1]}}]
            ]}
            """;
        var streams = InputData.FromJson("in.json", json, [Input, Flag]);
        Assert.Equal([2, 1], streams.Select(s => s.Count));
        Assert.Equal([1, 2], streams[0][0][0].ToArray<int>());
        Assert.Equal([7, 8], streams[0][1][0].ToArray<int>());
        Assert.Equal([5, 6], streams[1][0][0].ToArray<int>());
        // "shape" leaves out the batch dimension: the request is still [1, 2].
        Assert.Equal([1L, 2], streams[1][0][0].Shape);
        Assert.Equal([(byte)1], streams[0][0][1].Data.ToArray());

        // Sequence s plays stream s mod 2; without a length asked for, a sequence is as long as its stream.
        var source = new InputDataSteps(streams, 4, null, "data");
        Assert.Equal([2, 1, 2, 1], Enumerable.Range(0, 4).Select(source.StepsOf));
        // With one, the stream's steps loop up to it (perf_analyzer's round-robin).
        var looped = new InputDataSteps(streams, 2, SequenceLengths.Fixed(5), "data");
        Assert.Equal(5, looped.StepsOf(0));
        Assert.Equal([1, 2], looped.Step(0, 4)[0].ToArray<int>());
    }

    [Theory]
    [InlineData("""{"data": [{"INPUT": [1, 2]}]}""", "data[0] has no \"FLAG\"")]
    [InlineData("""{"data": [{"INPUT": [1, 2], "FLAG": [1], "X": [1]}]}""", "has \"X\", which is not an input of the model; its inputs: INPUT, FLAG")]
    [InlineData("""{"data": [{"INPUT": [1, 2, 3], "FLAG": [1]}]}""", "data[0].INPUT: 3 values, expected 2 for INT32 [1,2]")]
    [InlineData("""{"data": [{"INPUT": [1, 2.5], "FLAG": [1]}]}""", "2.5 is not a INT32 value")]
    [InlineData("""{"data": [[{"INPUT": [1, 2], "FLAG": [1]}], {"INPUT": [1, 2], "FLAG": [1]}]}""", "data[1] is not a list of steps")]
    [InlineData("""{"inputs": []}""", "expected {\"data\": [...]}")]
    [InlineData("""{"data": [{"INPUT": {"b64": "AAAA"}, "FLAG": [1]}]}""", "3 bytes of base64 data, expected 8")]
    public void Bad_input_data_is_one_message_naming_the_step_and_tensor(string json, string message) =>
        Assert.Contains(message, Assert.Throws<UsageException>(() => InputData.FromJson("in.json", json, [Input, Flag])).Message);

    [Fact]
    public void Sequence_lengths_vary_within_the_percentage_and_are_the_same_for_the_same_seed()
    {
        var lengths = new SequenceLengths(100, 20, Seed: 3);
        var drawn = Enumerable.Range(0, 500).Select(lengths.Of).ToList();
        Assert.All(drawn, n => Assert.InRange(n, 80, 120));
        Assert.True(drawn.Distinct().Count() > 20, "lengths should vary");
        Assert.Equal(drawn, Enumerable.Range(0, 500).Select(new SequenceLengths(100, 20, Seed: 3).Of));
        Assert.All(Enumerable.Range(0, 50).Select(new SequenceLengths(1, 90).Of), n => Assert.True(n >= 1));
        Assert.Equal(100, new SequenceLengths(100).Of(7));
    }

    [Fact]
    public void Sequence_ids_wrap_in_their_range_and_never_take_an_id_another_client_holds()
    {
        var ids = new SequenceIds(10, 13, clients: 2);
        Assert.Equal(10UL, ids.Next(0));
        Assert.Equal(11UL, ids.Next(1));
        // Client 1's next sequence takes 12; the count wraps, and 10 is client 0's own.
        Assert.Equal(12UL, ids.Next(1));
        Assert.Equal(10UL, ids.Next(0));
        // 11 is free again; then 12's turn, but client 1 holds it: client 0 reuses its own 11.
        Assert.Equal(11UL, ids.Next(0));
        Assert.Equal(11UL, ids.Next(0));
        Assert.Contains("holds 2 ids for 3 concurrent sequences", Assert.Throws<UsageException>(() => new SequenceIds(1, 3, 3)).Message);
        var unbounded = new SequenceIds(5, null, 1);
        Assert.Equal(new ulong[] { 5, 6, 7 }, new[] { unbounded.Next(0), unbounded.Next(0), unbounded.Next(0) });
    }
}
