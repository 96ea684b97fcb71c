using OvStateful.Core.Config;
using OvStateful.Core.Config.TextFormat;

namespace OvStateful.Core.Repository;

/// <summary>
/// A Triton model repository: <c>&lt;repo&gt;/&lt;model&gt;/config.pbtxt</c> plus numbered version
/// folders holding the model file. Each model is read on its own, so one bad model never
/// prevents the others from loading; its problems are listed on its <see cref="ModelDefinition"/>.
/// </summary>
public static class ModelRepository
{
    public const string ConfigFileName = "config.pbtxt";

    /// <summary>Where a config given in a load request comes from, as problems name it.</summary>
    public const string OverrideSource = "the load request's 'config' parameter";

    /// <summary>Reads every model folder (hidden folders skipped), sorted by name.</summary>
    public static IReadOnlyList<ModelDefinition> Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var root = Path.GetFullPath(path);
        if (!System.IO.Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"model repository \"{path}\" does not exist; expected a folder holding one folder per model");
        }
        return System.IO.Directory.GetDirectories(root)
            .Where(d => !Path.GetFileName(d).StartsWith('.'))
            .Order(StringComparer.Ordinal)
            .Select(d => LoadModel(d))
            .ToList();
    }

    /// <summary>Reads one model folder. Never throws for a bad model: problems go to <see cref="ModelDefinition.Problems"/>.</summary>
    /// <param name="defaultEngine">The engine for configs without an <c>engine</c> parameter (the server's default); null = onnxruntime.</param>
    /// <param name="configOverride">
    /// A config that replaces the folder's config.pbtxt (a load request's <c>config</c>
    /// parameter); it is checked as the file would be, its problems located by field path.
    /// </param>
    public static ModelDefinition LoadModel(string modelDirectory, string? defaultEngine = null, ModelConfig? configOverride = null)
    {
        var dir = Path.GetFullPath(modelDirectory);
        var folderName = Path.GetFileName(dir.TrimEnd(Path.DirectorySeparatorChar));
        var configFile = configOverride is null ? Path.Combine(dir, ConfigFileName) : OverrideSource;
        var problems = new List<ValidationProblem>();

        ModelConfig? config = configOverride;
        ParsedConfig? parsed = null;
        try
        {
            if (config is null)
            {
                parsed = ModelConfigParser.ParseFileWithPositions(configFile);
                config = parsed.Config;
            }
        }
        catch (ConfigParseException ex)
        {
            foreach (var p in ex.Problems) problems.Add(new ValidationProblem($"{p.File}:{p.Line}:{p.Column}", p.Detail));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            problems.Add(new ValidationProblem(configFile, "missing; every model folder needs a config.pbtxt"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems.Add(new ValidationProblem(configFile, $"cannot be read: {ex.Message}"));
        }
        if (config is null)
        {
            return new ModelDefinition { Name = folderName, Directory = dir, ConfigFile = configFile, Problems = problems };
        }

        if (defaultEngine is not null && !config.Parameters.ContainsKey("engine")) config.SetParameter("engine", defaultEngine);
        if (config.Name.Length == 0) config.Name = folderName;
        else if (config.Name != folderName)
        {
            problems.Add(new ValidationProblem("name", $"\"{config.Name}\" differs from the model folder name \"{folderName}\"; they must match (or leave name out)"));
        }

        problems.AddRange(ConfigValidator.Validate(config));
        // Bad parameter values are already in the problems list from the validator.
        var parameters = StatefulParameters.Read(config, new List<ValidationProblem>());
        var versions = FindVersions(dir, config, parameters, problems);
        CheckInitialStateFiles(dir, config, versions, problems);
        return new ModelDefinition
        {
            Name = folderName,
            Directory = dir,
            ConfigFile = configFile,
            Config = config,
            Source = parsed,
            Parameters = parameters,
            Versions = versions,
            Problems = problems,
        };
    }

    private static List<ModelVersion> FindVersions(string dir, ModelConfig config, StatefulParameters parameters, List<ValidationProblem> problems)
    {
        var available = new List<long>();
        try
        {
            foreach (var d in System.IO.Directory.GetDirectories(dir))
            {
                if (VersionSelection.TryParseFolder(Path.GetFileName(d), out var v)) available.Add(v);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            problems.Add(new ValidationProblem(dir, $"cannot list version folders: {ex.Message}"));
            return [];
        }

        var missing = new List<long>();
        var chosen = VersionSelection.Select(config.VersionPolicy, available, missing);
        foreach (var v in missing)
        {
            problems.Add(new ValidationProblem("version_policy.specific", $"version {v} has no folder {Path.Combine(dir, v.ToString(System.Globalization.CultureInfo.InvariantCulture))}"));
        }
        if (chosen.Count == 0)
        {
            var policy = config.VersionPolicy is { PolicyChoiceCase: not ModelVersionPolicy.PolicyChoiceOneofCase.None } vp ? vp.PolicyChoiceCase.ToString().ToLowerInvariant() : "latest";
            problems.Add(new ValidationProblem(dir, available.Count == 0
                ? $"no version folder; expected numbered folders such as {Path.Combine(dir, "1")}{Path.DirectorySeparatorChar}model.onnx"
                : $"the version policy ({policy}) selects none of the versions present ({string.Join(", ", available.Order())})"));
        }

        var result = new List<ModelVersion>();
        foreach (var v in chosen)
        {
            var vdir = Path.Combine(dir, v.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var (file, source) = ModelFileFor(vdir, config, parameters);
            if (!File.Exists(file))
            {
                problems.Add(new ValidationProblem(vdir, $"model file \"{Path.GetFileName(file)}\" ({source}) not found; expected {file}"));
            }
            result.Add(new ModelVersion(v, vdir, file));
        }
        return result;
    }

    /// <summary>
    /// Triton reads an initial_state data_file from initial_state/ under the model folder; the
    /// version folder's initial_state/ is accepted too (as the ORT engine's plan does).
    /// </summary>
    private static void CheckInitialStateFiles(string dir, ModelConfig config, List<ModelVersion> versions, List<ValidationProblem> problems)
    {
        if (config.SequenceBatching is not { } sb) return;
        for (var i = 0; i < sb.State.Count; i++)
        {
            for (var k = 0; k < sb.State[i].InitialState.Count; k++)
            {
                var file = sb.State[i].InitialState[k].DataFile;
                if (file.Length == 0) continue;
                var loc = $"sequence_batching.state[{i}].initial_state[{k}].data_file";
                if (Path.IsPathRooted(file) || file.Split('/', '\\').Contains(".."))
                {
                    problems.Add(new ValidationProblem(loc, $"\"{file}\" is not a file name inside {Path.Combine(dir, "initial_state")}"));
                    continue;
                }
                var modelLevel = Path.Combine(dir, "initial_state", file);
                foreach (var v in versions)
                {
                    if (!File.Exists(modelLevel) && !File.Exists(Path.Combine(v.Directory, "initial_state", file)))
                    {
                        problems.Add(new ValidationProblem(loc, $"\"{file}\" not found; expected {modelLevel}"));
                        break;
                    }
                }
            }
        }
    }

    /// <summary>
    /// The model file of a version folder: the onnx_file_name parameter, else default_model_filename,
    /// else model.onnx; for engine=openvino model.xml when present (model.onnx is accepted too).
    /// </summary>
    public static (string Path, string Source) ModelFileFor(string versionDirectory, ModelConfig config, StatefulParameters parameters)
    {
        if (parameters.OnnxFileName is { } f) return (Path.Combine(versionDirectory, f), "from parameters[\"onnx_file_name\"]");
        if (config.DefaultModelFilename.Length > 0) return (Path.Combine(versionDirectory, config.DefaultModelFilename), "from default_model_filename");
        if (parameters.Engine == EngineKind.OpenVino)
        {
            var xml = Path.Combine(versionDirectory, "model.xml");
            if (File.Exists(xml) || !File.Exists(Path.Combine(versionDirectory, "model.onnx"))) return (xml, "the OpenVINO default model.xml");
        }
        return (Path.Combine(versionDirectory, "model.onnx"), "the default model.onnx");
    }
}
