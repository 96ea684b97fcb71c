using System.CommandLine;
using System.Globalization;
using OvStateful.Core.Config;
using ModelConfig = OvStateful.Protocol.Inference.ModelConfig;
using OvStateful.Core.Config.TextFormat;
using OvStateful.Core.Engines;
using OvStateful.OpenVino;

namespace OvStateful.Cli.Commands;

/// <summary>
/// ovs convert: ONNX + state pairs → stateful OpenVINO IR (MakeStateful + save_model through the
/// native shim). Either a model of a repository (its config gives the file and the pairs) or a
/// model file with --state-pairs.
/// </summary>
internal static class ConvertCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo?>("model-file") { Description = "ONNX model file (instead of --model-repository/--model)", Arity = ArgumentArity.ZeroOrOne };
        var repository = new Option<DirectoryInfo?>("--model-repository") { Description = "Model repository folder" };
        var model = new Option<string?>("--model") { Description = "Model name in the repository" };
        var version = new Option<string?>("--version") { Description = "Version folder (default: the highest)" };
        var pairs = new Option<string?>("--state-pairs") { Description = "\"<<<In, Out>>> ...\" for a model file (default for a repository model: its config)" };
        var output = new Option<string?>("--output", "-o") { Description = "Output .xml, or a folder for model.xml (default: the model's version folder)" };
        var fp16 = new Option<bool>("--compress-to-fp16") { Description = "Store f32 weights as f16 (smaller, not bit-exact)" };
        var cmd = new Command("convert",
            "Make a stateful OpenVINO IR (ReadValue/Assign per state pair) from an ONNX model. Needs the OpenVINO engine (built by dotnet build " +
            "wherever OpenVINO 2025/2026 is found; docs/openvino.md); the Python equivalent is convert/onnx_to_openvino.py (pip install openvino).")
        {
            file, repository, model, version, pairs, output, fp16,
        };
        cmd.SetAction(parse =>
        {
            try
            {
                return Run(parse.GetValue(file), parse.GetValue(repository), parse.GetValue(model), parse.GetValue(version),
                    parse.GetValue(pairs), parse.GetValue(output), parse.GetValue(fp16));
            }
            catch (Exception e) when (e is ArgumentException or EngineException or IOException)
            {
                Console.Error.WriteLine($"ovs convert: {e.Message}");
                return 1;
            }
        });
        return cmd;
    }

    private static int Run(FileInfo? file, DirectoryInfo? repository, string? model, string? version, string? pairsText, string? output, bool fp16)
    {
        string modelFile, defaultXml;
        List<(string Input, string Output)> pairs;
        if (file is not null)
        {
            if (repository is not null || model is not null) throw new ArgumentException("give either a model file or --model-repository with --model, not both");
            if (pairsText is null) throw new ArgumentException("--state-pairs \"<<<In, Out>>>\" is needed with a model file");
            modelFile = file.FullName;
            pairs = StatePairsArgument(pairsText);
            defaultXml = Path.ChangeExtension(modelFile, ".xml");
        }
        else
        {
            if (repository is null || model is null) throw new ArgumentException("give a model file, or --model-repository DIR and --model NAME");
            (modelFile, var configPairs) = RepositoryModel(repository.FullName, model, version);
            pairs = pairsText is not null ? StatePairsArgument(pairsText) : configPairs;
            defaultXml = Path.Combine(Path.GetDirectoryName(modelFile)!, "model.xml");
        }
        var xml = output is null ? defaultXml
            : output.EndsWith(".xml", StringComparison.OrdinalIgnoreCase) ? Path.GetFullPath(output)
            : Path.Combine(Path.GetFullPath(output), "model.xml");

        var availability = new OpenVinoEngineProvider().Availability;
        if (!availability.IsAvailable)
        {
            Console.Error.WriteLine($"ovs convert: {availability.Reason}");
            Console.Error.WriteLine("ovs convert: without it, use python3 convert/onnx_to_openvino.py (pip install openvino)");
            return 2;
        }
        var result = OpenVinoConverter.Convert(modelFile, pairs, xml, fp16);
        Console.WriteLine(result.WasAlreadyStateful
            ? $"{modelFile} was already stateful; saved as {result.XmlPath}"
            : $"wrote {result.XmlPath} (+ .bin) with variables {string.Join(", ", result.Variables)}");
        return 0;
    }

    private static List<(string, string)> StatePairsArgument(string text)
    {
        if (!StatePairsText.TryParse(text, out var pairs, out var error)) throw new ArgumentException($"--state-pairs \"{text}\": {error}");
        if (pairs.Count == 0) throw new ArgumentException($"--state-pairs \"{text}\" holds no <<<InputName, OutputName>>> pair");
        return pairs;
    }

    /// <summary>
    /// The model file and state pairs of a repository model, from its config.pbtxt: the
    /// onnx_file_name parameter or default_model_filename (else model.onnx) in the chosen version
    /// folder, and the state_pairs parameter plus sequence_batching state.
    /// </summary>
    private static (string ModelFile, List<(string, string)> Pairs) RepositoryModel(string repository, string model, string? version)
    {
        var dir = Path.Combine(repository, model);
        var configPath = Path.Combine(dir, "config.pbtxt");
        if (!File.Exists(configPath)) throw new ArgumentException($"{configPath} does not exist; expected a Triton model folder");
        ModelConfig config;
        StatefulParameters parameters;
        try
        {
            config = ModelConfigParser.ParseFile(configPath);
            parameters = StatefulParameters.Read(config);
        }
        catch (Exception e) when (e is ConfigParseException or ModelConfigException)
        {
            throw new ArgumentException(e.Message, e);
        }
        version ??= Directory.EnumerateDirectories(dir)
            .Select(Path.GetFileName)
            .Where(n => long.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .OrderBy(n => long.Parse(n!, CultureInfo.InvariantCulture))
            .LastOrDefault()
            ?? throw new ArgumentException($"{dir} has no numeric version folder");
        var fileName = parameters.OnnxFileName ?? (config.DefaultModelFilename.Length > 0 ? config.DefaultModelFilename : "model.onnx");
        var modelFile = Path.Combine(dir, version, fileName);
        if (!File.Exists(modelFile)) throw new ArgumentException($"{modelFile} does not exist");
        var pairs = parameters.StatePairs.Select(p => (p.InputName, p.OutputName)).ToList();
        if (pairs.Count == 0) throw new ArgumentException($"{configPath} declares no state pairs (state_pairs parameter or sequence_batching state)");
        return (modelFile, pairs);
    }
}
