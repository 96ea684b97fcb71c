using OvStateful.Core.Config;
using ModelConfig = OvStateful.Protocol.Inference.ModelConfig;
using OvStateful.Core.Repository;

namespace OvStateful.Cli.Workloads;

/// <summary>A repository model picked on the command line: its definition and the newest selected version.</summary>
internal sealed record ModelTarget(ModelDefinition Definition, ModelVersion Version)
{
    public ModelConfig Config => Definition.Config!;
    public string Name => Definition.Name;
    public string VersionText => Version.Version.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Unknown model → the message lists the models the repository holds; an invalid model → its problems.</summary>
    public static ModelTarget Resolve(string repository, string model)
    {
        IReadOnlyList<ModelDefinition> models;
        try
        {
            models = ModelRepository.Open(repository);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new UsageException(e.Message);
        }
        var found = models.FirstOrDefault(m => m.Name == model);
        if (found is null)
        {
            var names = models.Count == 0 ? "none (expected <repository>/<model>/config.pbtxt)" : string.Join(", ", models.Select(m => m.Name));
            throw new UsageException($"model \"{model}\" is not in repository {Path.GetFullPath(repository)}; models there: {names}");
        }
        if (!found.IsValid)
            throw new UsageException($"model \"{model}\" is not valid:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", found.Problems.Select(p => $"{p.Location}: {p.Message}")));
        if (found.Versions.Count == 0) throw new UsageException($"model \"{model}\" has no version folder to serve (expected {found.Directory}/1/...)");
        return new ModelTarget(found, found.Versions[^1]);
    }

    /// <summary>The file an engine loads: OpenVINO prefers a converted model.xml beside the ONNX file.</summary>
    public string ModelFileFor(string provider)
    {
        if (provider == "openvino")
        {
            var xml = Path.Combine(Version.Directory, "model.xml");
            if (File.Exists(xml)) return xml;
        }
        return Version.ModelFile;
    }
}
