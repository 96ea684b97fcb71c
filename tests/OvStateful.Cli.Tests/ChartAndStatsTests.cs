using System.Xml.Linq;
using OvStateful.Cli.Charts;
using OvStateful.Cli.Workloads;
using OvStateful.Core.Tensors;

namespace OvStateful.Cli.Tests;

public class ChartAndStatsTests
{
    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(7.0, 10.0)]
    [InlineData(11.0, 20.0)]
    [InlineData(2100.0, 2500.0)]
    [InlineData(0.031, 0.05)]
    public void Axis_maximum_is_a_round_number_at_or_above_the_largest_bar(double max, double expected) =>
        Assert.Equal(expected, Axis.NiceCeiling(max), 9);

    [Theory]
    [InlineData(1000.0, "1000")]
    [InlineData(625.0, "625")]
    [InlineData(0.0125, "0.0125")]
    [InlineData(2.5e7, "2.5E+07")]
    public void Axis_ticks_are_readable(double v, string text) => Assert.Equal(text, Axis.Tick(v));

    [Fact]
    public void Svg_escapes_labels_and_draws_missing_values_as_na()
    {
        using var stream = new MemoryStream();
        Figure.Write(stream, "a <b> & \"c\"", [new BarPanel("t", "u", null, [new Bar("x<y", 3), new Bar("gone", null)])]);
        stream.Position = 0;
        var doc = XDocument.Load(stream);
        var ns = doc.Root!.Name.Namespace;
        Assert.Contains(doc.Descendants(ns + "text"), t => t.Value == "a <b> & \"c\"");
        Assert.Contains(doc.Descendants(ns + "text"), t => t.Value == "x<y");
        Assert.Single(doc.Descendants(ns + "text"), t => t.Value == "n/a");
        Assert.Single(doc.Descendants(ns + "rect"), r => r.Element(ns + "title") is not null);
    }

    [Theory]
    [InlineData(true, true)]   // latency rising with load ends in the top right corner: the legend moves left
    [InlineData(false, false)] // falling lines leave the top right free
    public void The_legend_stays_off_the_lines(bool rising, bool legendLeft)
    {
        IReadOnlyList<(double X, double Y)> Line(double scale) =>
            [.. new[] { 1.0, 17, 33, 49 }.Select((x, i) => (x, scale * (rising ? i + 1 : 4 - i)))];
        using var stream = new MemoryStream();
        Figure.Write(stream, "sweep", [new LinePanel("latency by load", "concurrent sequences", "latency (ms)", "lower is better",
            [new Series("p50", Line(1)), new Series("p99", Line(5))])]);
        stream.Position = 0;
        var doc = XDocument.Load(stream);
        var ns = doc.Root!.Name.Namespace;
        var legendX = double.Parse(doc.Descendants(ns + "text").Single(t => t.Value == "p99").Attribute("x")!.Value, System.Globalization.CultureInfo.InvariantCulture);
        // The panel is Figure.PanelWidth wide: a left legend starts in its first third, a right one in its last.
        Assert.Equal(legendLeft, legendX < Figure.PanelWidth / 3);
        Assert.Equal(!legendLeft, legendX > Figure.PanelWidth * 2 / 3);
    }

    [Fact]
    public void A_title_too_long_for_the_figure_shrinks_then_wraps()
    {
        var (short1, size1) = Figure.FitTitle("ovs bench: silero_vad", 400);
        Assert.Equal(["ovs bench: silero_vad"], short1);
        Assert.Equal(16.0, size1);
        var (lines, size) = Figure.FitTitle(string.Join(" ", Enumerable.Repeat("word", 40)), 400);
        Assert.Equal(11, size);
        Assert.Equal(2, lines.Count);
        Assert.All(lines, l => Assert.True(l.Length * 11 * 0.6 <= 400, l));
    }

    [Theory]
    [InlineData(new[] { 1.0, 17, 33, 49 }, true, 1.0, 100.0)]
    [InlineData(new[] { 4.0, 8, 12 }, false, 0.0, 0.0)]
    public void Levels_that_span_a_decade_get_a_log_axis(double[] levels, bool log, double min, double max)
    {
        var axis = Axis.For(levels, allowLog: true, fromZero: false);
        Assert.Equal(log, axis.Log);
        if (log) Assert.Equal((min, max), (axis.Min, axis.Max));
        Assert.All(levels, v => Assert.InRange(axis.Fraction(v), 0, 1));
    }

    [Theory]
    [InlineData(5163.0, 6000.0)]
    [InlineData(31.0, 40.0)]
    [InlineData(0.9, 1.0)]
    public void A_y_axis_from_zero_ends_on_a_round_step_above_the_data(double max, double end) =>
        Assert.Equal(end, Axis.For([max]).Max, 9);

    [Fact]
    public void Percentiles_are_nearest_rank()
    {
        var values = Enumerable.Range(1, 100).Select(i => (double)i).Reverse().ToArray();
        var s = LatencySummary.Of(values);
        Assert.Equal((50.0, 95.0, 99.0, 100.0, 50.5), (s.P50Ms, s.P95Ms, s.P99Ms, s.MaxMs, s.MeanMs));
        Assert.Equal(7.0, LatencySummary.Of([7.0]).P99Ms);
    }

    [Fact]
    public void Timeline_counts_steps_per_bucket_and_divides_the_last_by_the_time_it_covers()
    {
        // At most 20 buckets of at least 0.1 s: 2.05 s / 20 = 0.1025 s each.
        var completions = new List<(double, double)> { (0.01, 1), (0.02, 3), (0.05, 2), (2.04, 9) };
        var t = Timeline.Of(completions, 2.05);
        Assert.Equal(0.1025, t.BucketSeconds, 9);
        Assert.Equal(20, t.StepsPerSecond.Count);
        Assert.Equal(3 / 0.1025, t.StepsPerSecond[0], 6);
        Assert.Equal(3.0, t.P99Ms[0]);
        Assert.Equal(1 / 0.1025, t.StepsPerSecond[19], 6);
        Assert.Equal(0, t.StepsPerSecond[10]);

        // A long run gets whole-second buckets; the last one covers only 0.5 s.
        var longRun = Timeline.Of([(0.5, 1), (20.2, 1)], 20.5);
        Assert.Equal(2, longRun.BucketSeconds);
        Assert.Equal(11, longRun.StepsPerSecond.Count);
        Assert.Equal(1 / 0.5, longRun.StepsPerSecond[10], 9);
    }

    [Fact]
    public void Output_difference_finds_the_largest_absolute_and_relative_gap()
    {
        var source = new FixedSteps(1, 2);
        var a = new RecordedOutputs(source);
        var b = new RecordedOutputs(source);
        a.Set(0, 0, [Tensor.FromArray("y", DataType.Fp32, [1, 2], new[] { 1f, 2f })]);
        b.Set(0, 0, [Tensor.FromArray("y", DataType.Fp32, [1, 2], new[] { 1f, 2.5f })]);
        a.Set(0, 1, [Tensor.FromArray("y", DataType.Fp32, [1, 2], new[] { 0f, 4f })]);
        b.Set(0, 1, [Tensor.FromArray("y", DataType.Fp32, [1, 2], new[] { 0f, 4f })]);
        var d = OutputDifference.Between(a, b);
        Assert.Equal(0.5, d.MaxAbsolute);
        Assert.Equal(0.2, d.MaxRelative, 9);
        Assert.Equal(4, d.ValuesCompared);
        Assert.Equal("sequence 0 step 0 y[1]: 2 vs 2.5", d.Worst);
    }

    [Fact]
    public void Synthetic_steps_are_the_same_for_the_same_seed_and_differ_across_steps()
    {
        var spec = new OvStateful.Core.Engines.TensorSpec("x", DataType.Fp32, [1, 8]);
        var one = new SyntheticSteps([spec], 2, 3, seed: 5);
        var two = new SyntheticSteps([spec], 2, 3, seed: 5);
        Assert.Equal(one.Step(1, 2)[0].Data.ToArray(), two.Step(1, 2)[0].Data.ToArray());
        Assert.NotEqual(one.Step(1, 1)[0].Data.ToArray(), one.Step(1, 2)[0].Data.ToArray());
        Assert.All(one.Step(0, 0)[0].ToArray<float>(), v => Assert.InRange(v, -1f, 1f));
    }

    [Fact]
    public void Synthetic_steps_are_the_same_in_every_process()
    {
        // Values computed outside .NET (SplitMix64 from seed 1 << 42): a process-seeded hash
        // in the generator's seed would make a bench client and `ovs run` send different audio.
        var spec = new OvStateful.Core.Engines.TensorSpec("x", DataType.Fp32, [1, 3]);
        Assert.Equal([0.28805437684059143f, 0.01452967245131731f, -0.8817535638809204f], new SyntheticSteps([spec], 1, 1, seed: 1).Step(0, 0)[0].ToArray<float>());
    }

    private sealed class FixedSteps(int sequences, int steps) : IStepSource
    {
        public int SequenceCount => sequences;
        public int StepsOf(int sequence) => steps;
        public IReadOnlyList<Tensor> Step(int sequence, int step) => [];
        public string Description => "fixed";
    }
}
