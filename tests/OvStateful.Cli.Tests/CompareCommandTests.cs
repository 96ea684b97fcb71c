using System.Text.Json;
using System.Xml.Linq;
using OvStateful.OpenVino;

namespace OvStateful.Cli.Tests;

/// <summary>`ovs compare` end to end: a row per available engine, the missing ones listed with their reason, the three files written.</summary>
[Collection(ConsoleCollection.Name)]
public class CompareCommandTests
{
    [OpenVinoMissingFact]
    public void Onnxruntime_row_openvino_unavailable_and_json_csv_svg_written()
    {
        var dir = CliRunner.TempFolder();
        try
        {
            var (engine, reason) = UnrunnableOpenVino.Get();
            var (exit, output, error) = CliRunner.Run("compare", "--measurement-mode", "once", "--repeats", "1", "-r", CliRunner.Models, "-m", "accumulate", "--engines", "onnxruntime," + engine, "-n", "3", "-k", "5", "-o", dir);
            // openvino was asked for and cannot run here: the table and files still come, exit 1.
            Assert.True(exit == 1, error + output);
            Assert.Contains($"ovs compare: {engine} could not run: ", error);
            Assert.Matches($"{System.Text.RegularExpressions.Regex.Escape(engine)} unavailable: .*{System.Text.RegularExpressions.Regex.Escape(reason)}", output);
            // Redirected: tab-separated rows, no borders or padding.
            Assert.Matches(@"(?m)^onnxruntime\t\d+\.\d\t", output);
            Assert.Matches($@"(?m)^{System.Text.RegularExpressions.Regex.Escape(engine)}\tunavailable$", output);
            Assert.DoesNotContain("│", output);

            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "compare.json")));
            Assert.Equal("onnxruntime", doc.RootElement.GetProperty("reference").GetString());
            var engines = doc.RootElement.GetProperty("engines").EnumerateArray().ToList();
            Assert.Equal(2, engines.Count);
            Assert.True(engines[0].GetProperty("available").GetBoolean());
            Assert.Equal(15, engines[0].GetProperty("steps_ok").GetInt64());
            Assert.Equal(0, engines[0].GetProperty("difference").GetProperty("max_absolute").GetDouble());
            Assert.False(engines[1].GetProperty("available").GetBoolean());
            Assert.Contains(reason, engines[1].GetProperty("reason").GetString());

            var csv = File.ReadAllLines(Path.Combine(dir, "compare.csv"));
            Assert.Equal(3, csv.Length);
            Assert.StartsWith("engine,available,reason,", csv[0]);
            Assert.StartsWith("onnxruntime,true,,3,3,15,15,0,", csv[1]);
            Assert.StartsWith(engine + ",false,", csv[2]);

            var svg = XDocument.Load(Path.Combine(dir, "compare.svg"));
            Assert.Equal(XName.Get("svg", "http://www.w3.org/2000/svg"), svg.Root!.Name);
            var ns = svg.Root.Name.Namespace;
            // One bar per available engine in each of the four panels; openvino drawn as n/a.
            Assert.Equal(4, svg.Descendants(ns + "title").Count(t => t.Value.StartsWith("onnxruntime:", StringComparison.Ordinal)));
            Assert.Equal(4, svg.Descendants(ns + "text").Count(t => t.Value == "n/a"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Unknown_engine_in_the_list_is_a_usage_error()
    {
        var (exit, _, error) = CliRunner.Run("compare", "--measurement-mode", "once", "--repeats", "1", "-r", CliRunner.Models, "-m", "accumulate", "--engines", "onnxruntime,tvm");
        Assert.Equal(2, exit);
        Assert.Contains("unknown engine \"tvm\"; valid engines: onnxruntime, openvino", error);
    }
}
