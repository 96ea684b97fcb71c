using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using OvStateful.Cli.Charts;
using OvStateful.Cli.Reports;
using OvStateful.Cli.Workloads;

namespace OvStateful.Cli.Tests;

/// <summary>rsvg-convert (Debian's librsvg2-bin, which .ci/run installs) is on the PATH.</summary>
public sealed class RsvgAvailableFactAttribute : FactAttribute
{
    public RsvgAvailableFactAttribute()
    {
        if (ChartPngTests.Rsvg() is null) Skip = "rsvg-convert not found: install Debian's librsvg2-bin (.ci/run does) to render the charts to PNG";
    }
}

/// <summary>
/// The charts of run, compare and bench rendered to PNG by librsvg, as a browser would draw
/// them: the PNG has the SVG's size and is mostly but not wholly white (something was drawn,
/// and not a black box). OVS_CHART_DIR keeps the PNGs for a look.
/// </summary>
public class ChartPngTests
{
    internal static string? Rsvg() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "rsvg-convert")).FirstOrDefault(File.Exists);

    private static MeasurementReport Level(int n, double tp, double p50, double p99) => new()
    {
        Engine = $"n={n}",
        Clients = n,
        StepsOk = 1000,
        StepsPerSecond = tp,
        LatencyMs = new LatencySummary(p50 * 1.1, p50, p50 * 1.5, p50 * 1.8, p99, p99 * 2),
    };

    public static TheoryData<string> Figures => new() { "sweep", "run", "compare" };

    private static void Draw(string figure, string path)
    {
        switch (figure)
        {
            case "sweep":
                MeasurementCharts.WriteSweep(path, "ovs bench: silero_vad over grpc (ModelStreamInfer), concurrency 1 to 49",
                    [Level(1, 430, 2, 8), Level(17, 3909, 4, 14), Level(33, 4936, 6.1, 21), Level(49, 5164, 8.1, 31)], [1, 17, 33, 49], requestRate: false);
                break;
            case "run":
                var windows = Enumerable.Range(0, 5).Select(i => new MeasurementWindow(i, 1 + i, 1, 2600, 2600, new LatencySummary(3, 3, 4, 5, 9, 20))).ToList();
                var plan = new MeasurementPlan();
                var run = Level(8, 2600, 3, 9) with
                {
                    Timeline = new Timeline(0.5, [0, 600, 950, 1500, 2350, 2770, 2650, 2600, 2240, 2770, 2860, 2600, 2350, 2600, 1900], [0, 208, 48, 88, 52, 14, 4, 6, 5, 20, 4, 6, 19, 12, 22]),
                    Measurement = WindowedFigures.From(windows, [3, 4, 9], plan),
                };
                MeasurementCharts.WriteRun(path, "ovs bench: silero_vad over http (binary tensors), n=8", run);
                break;
            default:
                var first = Level(8, 3800, 2, 5) with { Engine = "onnxruntime", RoundFigures = [new(3700, 3500, 3900, 2, 5), new(3900, 3700, 4000, 2.1, 5.5)] };
                var second = Level(8, 3750, 2.1, 5.2) with
                {
                    Engine = "onnxruntime #2",
                    RoundFigures = [new(3650, 3400, 3800, 2.1, 5), new(3850, 3600, 3950, 2.1, 5.4)],
                    RatioToFirst = new ThroughputRatio("onnxruntime", 0.99, 0.85, 1.13),
                };
                MeasurementCharts.WriteCompare(path, "ovs compare: silero_vad, 8 sequences × 100 steps, 3 round(s)", [first, second, new MeasurementReport { Engine = "openvino", Available = false }],
                    "n/a: openvino unavailable");
                break;
        }
    }

    [Theory]
    [MemberData(nameof(Figures))]
    public void Every_label_fits_the_canvas(string figure)
    {
        var dir = CliRunner.TempFolder();
        try
        {
            var svg = Path.Combine(dir, figure + ".svg");
            Draw(figure, svg);
            var doc = XDocument.Load(svg);
            var width = double.Parse(doc.Root!.Attribute("width")!.Value, System.Globalization.CultureInfo.InvariantCulture);
            var ns = doc.Root.Name.Namespace;
            // Unrotated labels: their estimated extent stays on the canvas (titles shrink or wrap to stay inside).
            foreach (var t in doc.Descendants(ns + "text").Where(t => t.Attribute("transform") is null))
            {
                var x = double.Parse(t.Attribute("x")!.Value, System.Globalization.CultureInfo.InvariantCulture);
                var size = double.Parse(t.Attribute("font-size")!.Value, System.Globalization.CultureInfo.InvariantCulture);
                var w = SvgCanvas.TextWidth(t.Value, size);
                var (left, right) = t.Attribute("text-anchor")!.Value switch { "middle" => (x - w / 2, x + w / 2), "end" => (x - w, x), _ => (x, x + w) };
                Assert.True(left >= -1 && right <= width + 1, $"\"{t.Value}\" spans {left:F0}..{right:F0} of {width:F0}");
            }
            Assert.Contains(doc.Descendants(ns + "text"), t => t.Value.EndsWith("is better", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [RsvgAvailableFact]
    public void Charts_render_to_png_of_their_size_and_are_not_empty()
    {
        var keep = Environment.GetEnvironmentVariable("OVS_CHART_DIR");
        var dir = keep ?? CliRunner.TempFolder();
        Directory.CreateDirectory(dir);
        try
        {
            foreach (var figure in new[] { "sweep", "run", "compare" })
            {
                var svg = Path.Combine(dir, figure + ".svg");
                var png = Path.Combine(dir, figure + ".png");
                Draw(figure, svg);
                using (var p = Process.Start(new ProcessStartInfo(Rsvg()!, ["-o", png, svg]) { RedirectStandardError = true })!)
                {
                    var err = p.StandardError.ReadToEnd();
                    p.WaitForExit();
                    Assert.True(p.ExitCode == 0, $"rsvg-convert {figure}.svg: {err}");
                }
                var root = XDocument.Load(svg).Root!;
                var (w, h, pixels) = Png.Decode(File.ReadAllBytes(png));
                Assert.Equal(((int)double.Parse(root.Attribute("width")!.Value, System.Globalization.CultureInfo.InvariantCulture),
                    (int)double.Parse(root.Attribute("height")!.Value, System.Globalization.CultureInfo.InvariantCulture)), (w, h));
                var inked = pixels.Count(px => px.R < 235 || px.G < 235 || px.B < 235) / (double)pixels.Length;
                Assert.InRange(inked, 0.02, 0.6);
                // Colour, not only grey: the lines and bars were drawn.
                Assert.Contains(pixels, px => Math.Abs(px.R - px.B) > 60);
            }
        }
        finally
        {
            if (keep is null) Directory.Delete(dir, recursive: true);
        }
    }
}

/// <summary>A minimal PNG reader for the tests: 8-bit RGB or RGBA, non-interlaced (what librsvg writes), every row filter undone.</summary>
internal static class Png
{
    public static (int Width, int Height, (byte R, byte G, byte B)[] Pixels) Decode(byte[] file)
    {
        Assert.Equal([137, 80, 78, 71, 13, 10, 26, 10], file[..8]);
        int width = 0, height = 0, channels = 0;
        using var idat = new MemoryStream();
        for (var o = 8; o < file.Length;)
        {
            var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(o));
            var type = System.Text.Encoding.ASCII.GetString(file, o + 4, 4);
            var data = file.AsSpan(o + 8, length);
            if (type == "IHDR")
            {
                width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(data);
                height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                Assert.Equal(8, data[8]);
                channels = data[9] switch { 2 => 3, 6 => 4, var c => throw new InvalidDataException($"PNG colour type {c}") };
                Assert.Equal(0, data[12]);
            }
            else if (type == "IDAT") idat.Write(data);
            o += 12 + length;
        }
        idat.Position = 0;
        using var z = new ZLibStream(idat, CompressionMode.Decompress);
        var stride = width * channels;
        var raw = new byte[height * (stride + 1)];
        z.ReadExactly(raw);
        var rows = new byte[height * stride];
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (stride + 1)];
            for (var x = 0; x < stride; x++)
            {
                var v = raw[y * (stride + 1) + 1 + x];
                int a = x >= channels ? rows[y * stride + x - channels] : 0, b = y > 0 ? rows[(y - 1) * stride + x] : 0;
                int c = x >= channels && y > 0 ? rows[(y - 1) * stride + x - channels] : 0;
                rows[y * stride + x] = (byte)(filter switch
                {
                    0 => v,
                    1 => v + a,
                    2 => v + b,
                    3 => v + (a + b) / 2,
                    4 => v + Paeth(a, b, c),
                    _ => throw new InvalidDataException($"PNG filter {filter}"),
                });
            }
        }
        var pixels = new (byte, byte, byte)[width * height];
        for (var i = 0; i < pixels.Length; i++)
        {
            // Transparent pixels count as the white page behind them.
            var alpha = channels == 4 ? rows[i * 4 + 3] : 255;
            byte Over(byte v) => (byte)((v * alpha + 255 * (255 - alpha)) / 255);
            pixels[i] = (Over(rows[i * channels]), Over(rows[i * channels + 1]), Over(rows[i * channels + 2]));
        }
        return (width, height, pixels);
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
