using System.Diagnostics;
using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using static OvStateful.OpenVino.Tests.OvHarness;

namespace OvStateful.OpenVino.Tests;

/// <summary>
/// ONNX + state pairs → stateful IR, both ways the project offers: convert/onnx_to_openvino.py
/// (OpenVINO's Python API: Debian's python3 with ../shared on PYTHONPATH, as for a pip install)
/// and OpenVinoConverter (what `ovs convert` runs, through the shim). The IR has ReadValue/Assign,
/// and the OpenVINO engine serving it matches the ONNX model run by ONNX Runtime.
/// </summary>
public sealed class ConvertTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ovs-convert-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Runs convert/onnx_to_openvino.py; returns its output, failing with it when the exit code is not 0.</summary>
    private static string RunPython(params string[] args)
    {
        var python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TestPaths.RepoRoot };
        start.ArgumentList.Add(Path.Combine(TestPaths.RepoRoot, "convert", "onnx_to_openvino.py"));
        foreach (var a in args) start.ArgumentList.Add(a);
        // OpenVINO's Python package is ../shared/openvino (the wheel's own folder), as a pip install would give.
        start.Environment["PYTHONPATH"] = Path.GetFullPath(Path.Combine(TestPaths.RepoRoot, "..", "shared"));
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"onnx_to_openvino.py {string.Join(' ', args)} exited {p.ExitCode}: {stderr}{stdout.Result}");
        return stdout.Result;
    }

    private static void AssertStateful(string xml, params string[] variables)
    {
        var text = File.ReadAllText(xml);
        Assert.True(File.Exists(Path.ChangeExtension(xml, ".bin")), $"{xml} has no .bin beside it");
        foreach (var v in variables)
        {
            Assert.Contains($"variable_id=\"{v}\"", text);
        }
        Assert.Contains("type=\"ReadValue\"", text);
        Assert.Contains("type=\"Assign\"", text);
    }

    private static IStatefulEngine LoadIr(string name, string xml, OpenVinoMode mode)
    {
        var m = OpenVinoModels.Get(name, mode);
        // The version folder stays the model's own, so gru_counter's initial_state/ file is found.
        return new OpenVinoEngineProvider().Load(new EngineLoadContext(m.Config, Path.GetDirectoryName(m.ModelFile)!, xml, 4));
    }

    [OpenVinoTheory]
    [InlineData("accumulate", OpenVinoMode.Batched, new[] { "Accumulate_InAccumulate_Out" })]
    [InlineData("gru_counter", OpenVinoMode.Batched, new[] { "h_inh_out", "steps_insteps_out" })]
    [InlineData("gru_counter", OpenVinoMode.PerSlot, new[] { "h_inh_out", "steps_insteps_out" })]
    [InlineData("silero_vad_v6", OpenVinoMode.PerSlot, new[] { "statestateN" })]
    public void The_python_converter_writes_an_IR_that_serves_like_the_ONNX_model(string name, OpenVinoMode mode, string[] variables)
    {
        var xml = Path.Combine(_dir, name + ".xml");
        var log = RunPython(Path.Combine(TestPaths.Models, name), "-o", xml);
        Assert.Contains("wrote", log);
        AssertStateful(xml, variables);

        using var ov = LoadIr(name, xml, mode);
        using var ort = OrtAgreementTests.LoadOrt(name);
        OrtAgreementTests.Agree(ov, ort, OpenVinoModels.Get(name, mode), $"{name} IR from onnx_to_openvino.py ({mode})");
    }

    [OpenVinoTheory]
    [InlineData("accumulate_int32", OpenVinoMode.PerSlot, "Accumulate_InAccumulate_Out")]
    [InlineData("gru_counter", OpenVinoMode.Batched, "h_inh_out")]
    [InlineData("silero_vad_v6", OpenVinoMode.Batched, "statestateN")]
    public void The_shim_converter_of_ovs_convert_writes_an_IR_that_serves_like_the_ONNX_model(string name, OpenVinoMode mode, string variable)
    {
        var m = ModelUnderTest.Get(name);
        var pairs = StatefulParameters.Read(m.Config).StatePairs.Select(p => (p.InputName, p.OutputName)).ToList();
        var xml = Path.Combine(_dir, name + ".xml");
        var result = OpenVinoConverter.Convert(m.ModelFile, pairs, xml);
        Assert.False(result.WasAlreadyStateful);
        Assert.Contains(variable, result.Variables);
        AssertStateful(xml, variable);

        using var ov = LoadIr(name, xml, mode);
        using var ort = OrtAgreementTests.LoadOrt(name);
        OrtAgreementTests.Agree(ov, ort, OpenVinoModels.Get(name, mode), $"{name} IR from OpenVinoConverter ({mode})");

        // Converting the IR again changes nothing: it is already stateful.
        var again = OpenVinoConverter.Convert(xml, pairs, Path.Combine(_dir, name + "-again.xml"));
        Assert.True(again.WasAlreadyStateful);
    }

    [OpenVinoFact]
    public void Pairs_the_model_does_not_have_are_refused_naming_them_and_what_it_has()
    {
        var m = ModelUnderTest.Get("accumulate");
        var e = Assert.Throws<ArgumentException>(() => OpenVinoConverter.Convert(m.ModelFile, [("Accumulate_In", "Nope")], Path.Combine(_dir, "x.xml")));
        Assert.Contains("output \"Nope\"", e.Message);
        Assert.Contains("Accumulate_Out", e.Message);
    }
}
