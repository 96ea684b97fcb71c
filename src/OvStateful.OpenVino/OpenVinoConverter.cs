using OvStateful.Core.Engines;
using OvStateful.OpenVino.Interop;

namespace OvStateful.OpenVino;

/// <summary>What a conversion produced: the IR path and the variables it holds.</summary>
public sealed record ConversionResult(string XmlPath, IReadOnlyList<string> Variables, bool WasAlreadyStateful);

/// <summary>
/// ONNX (or IR) + state pairs → stateful OpenVINO IR: ov::pass::MakeStateful turns each pair into
/// a ReadValue/Assign variable named input + output, then ov::save_model writes .xml + .bin.
/// The same as convert/onnx_to_openvino.py, through the native shim.
/// </summary>
public static class OpenVinoConverter
{
    /// <param name="statePairs">(model input, model output) per state; ignored when the model already has variables.</param>
    /// <param name="compressToFp16">Store f32 weights as f16 (smaller IR, not bit-exact); off by default.</param>
    public static ConversionResult Convert(string modelFile, IReadOnlyList<(string Input, string Output)> statePairs, string outputXml, bool compressToFp16 = false)
    {
        if (!outputXml.EndsWith(".xml", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"output {outputXml} must end in .xml (the .bin is written beside it)");
        using var core = OvCore.Create();
        using var model = OpenVinoModelLoader.Read(core, modelFile);
        var already = model.Variables().Count > 0;
        try
        {
            if (!already)
            {
                if (statePairs.Count == 0) throw new ArgumentException($"{modelFile} has no variables and no state pairs were given");
                var inputs = model.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
                var outputs = model.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
                var problems = statePairs
                    .SelectMany(p => new[] { inputs.Contains(p.Input) ? null : $"input \"{p.Input}\"", outputs.Contains(p.Output) ? null : $"output \"{p.Output}\"" })
                    .OfType<string>().ToList();
                if (problems.Count > 0)
                    throw new ArgumentException($"{modelFile} has no {string.Join(", ", problems)} (inputs: {string.Join(", ", inputs)}; outputs: {string.Join(", ", outputs)})");
                model.MakeStateful(statePairs);
            }
            var dir = Path.GetDirectoryName(Path.GetFullPath(outputXml));
            if (dir is not null) Directory.CreateDirectory(dir);
            model.Save(outputXml, compressToFp16);
            return new ConversionResult(outputXml, model.Variables().Select(v => v.Name).ToArray(), already);
        }
        catch (OpenVinoException e)
        {
            throw new EngineException($"converting {modelFile} failed: {e.Message}", e);
        }
    }
}
