using System.Globalization;

namespace OvStateful.Core.Config;

/// <summary>The engine that runs a model (the <c>engine</c> parameter).</summary>
public enum EngineKind
{
    OnnxRuntime,
    OpenVino,
}

/// <summary>ONNX Runtime execution provider: the stateful backend's <c>ort_ep</c>, or CPU for KIND_CPU instances.</summary>
public enum OrtEpKind
{
    /// <summary>No ort_ep and a KIND_AUTO/KIND_MODEL group: CUDA when a GPU is usable, else CPU.</summary>
    Auto,
    Cpu,
    Cuda,
    TensorRt,
}

public enum ComputePrecision
{
    Fp32,
    Fp16,
}

/// <summary>How the OpenVINO engine holds slots (the <c>openvino_mode</c> parameter).</summary>
public enum OpenVinoMode
{
    /// <summary>One compiled model at max batch; slot states are moved in and out with set_state/get_state.</summary>
    Batched,
    /// <summary>One infer request per slot; states never move.</summary>
    PerSlot,
}

/// <summary>The stateful backend's lazy state-buffer allocation; all four are given together, each ≥ 0.</summary>
public sealed record StateBufferSizes(long InitialBufferSize, long SubsequentBufferSize, long BufferAllocThreshold, long BufferDeallocThreshold);

/// <summary>A model input that the server fills with a constant (the <c>constant_inputs</c> parameter); clients never send it.</summary>
public sealed record ConstantInput(string Name, string Text, double Value);

/// <summary>
/// A request input whose last <see cref="Length"/> elements along its last axis the server keeps per
/// sequence and prepends to the next step (the <c>input_context</c> parameter): Silero VAD's wrapper
/// feeds the model 64 samples of the previous chunk before each 512 new ones. Clients send only the
/// new part; the model sees context + new; a sequence starts with zeros.
/// </summary>
public sealed record InputContextDecl(string InputName, int Length);

/// <summary>
/// Typed view of a model's <c>parameters</c>: the Triton stateful backend's (state_pairs, ort_ep,
/// compute_precision, …) and ours (engine, openvino_device, openvino_mode, constant_inputs, input_context), plus
/// the unified list of state pairs from <c>state_pairs</c> and <c>sequence_batching.state</c>.
/// Unknown parameter names are ignored, as Triton does.
/// </summary>
public sealed class StatefulParameters
{
    public EngineKind Engine { get; private init; } = EngineKind.OnnxRuntime;

    /// <summary>The engine parameter's value, "onnxruntime" or "openvino": the name of the <c>IEngineProvider</c> to use.</summary>
    public string EngineName => Engine == EngineKind.OpenVino ? "openvino" : "onnxruntime";

    public OrtEpKind OrtEp { get; private init; } = OrtEpKind.Auto;
    public ComputePrecision ComputePrecision { get; private init; } = ComputePrecision.Fp32;
    public bool AlwaysPadToMaxBatch { get; private init; }
    public bool StoreStatesAsFp16 { get; private init; }

    /// <summary>Run inference for requests that carry END (default true); false answers them with empty outputs.</summary>
    public bool InferEndRequests { get; private init; } = true;

    /// <summary>Share of max_candidate_sequences that may be live at once, in (0, 1]; default 0.9 as in the stateful backend.</summary>
    public double MaxCandidateSequenceUseRatio { get; private init; } = 0.9;

    /// <summary>Null when initial_buffer_size is absent (the whole arena is allocated at load).</summary>
    public StateBufferSizes? BufferSizes { get; private init; }

    public bool EnableCudaGraph { get; private init; }
    public bool EnableTrtCaching { get; private init; }
    public string TrtCacheDir { get; private init; } = "/tmp";

    /// <summary>Null when absent; then default_model_filename or model.onnx names the file.</summary>
    public string? OnnxFileName { get; private init; }

    public string OpenVinoDevice { get; private init; } = "CPU";
    public OpenVinoMode OpenVinoMode { get; private init; } = OpenVinoMode.Batched;
    public IReadOnlyList<ConstantInput> ConstantInputs { get; private init; } = [];

    /// <summary>Inputs that carry context from the previous step (the <c>input_context</c> parameter, "name:length,...").</summary>
    public IReadOnlyList<InputContextDecl> InputContexts { get; private init; } = [];

    /// <summary>Every declared state pair, from the state_pairs parameter first, then sequence_batching.state.</summary>
    public IReadOnlyList<StatePairDecl> StatePairs { get; private init; } = [];

    /// <summary>Reads the parameters; throws <see cref="ModelConfigException"/> listing every bad value.</summary>
    public static StatefulParameters Read(ModelConfig config, ModelInstanceGroup? group = null)
    {
        var problems = new List<ValidationProblem>();
        var p = Read(config, problems, group);
        if (problems.Count > 0) throw new ModelConfigException(config.Name, problems);
        return p;
    }

    /// <summary>
    /// Reads the parameters, adding one problem per bad value to <paramref name="problems"/> and using
    /// the default in its place. <paramref name="group"/> (default: the first instance group) decides
    /// whether ort_ep applies: a KIND_CPU group always runs on the CPU provider.
    /// </summary>
    public static StatefulParameters Read(ModelConfig config, ICollection<ValidationProblem> problems, ModelInstanceGroup? group = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        var parameters = config.StringParameters();
        var r = new Reader(parameters, problems);
        group ??= config.InstanceGroup.Count > 0 ? config.InstanceGroup[0] : null;
        var kind = group?.Kind ?? ModelInstanceGroup.Types.Kind.Auto;

        var ep = r.Choice("ort_ep", null, ("cuda", (OrtEpKind?)OrtEpKind.Cuda), ("trt", OrtEpKind.TensorRt));
        var ortEp = kind switch
        {
            ModelInstanceGroup.Types.Kind.Cpu => OrtEpKind.Cpu,
            _ when ep is { } e => e,
            ModelInstanceGroup.Types.Kind.Gpu => OrtEpKind.Cuda,
            _ => OrtEpKind.Auto,
        };

        StateBufferSizes? buffers = null;
        if (parameters.ContainsKey("initial_buffer_size"))
        {
            buffers = new StateBufferSizes(
                r.Count("initial_buffer_size", required: true),
                r.Count("subsequent_buffer_size", required: true),
                r.Count("buffer_alloc_threshold", required: true),
                r.Count("buffer_dealloc_threshold", required: true));
        }
        else
        {
            foreach (var other in new[] { "subsequent_buffer_size", "buffer_alloc_threshold", "buffer_dealloc_threshold" })
            {
                if (parameters.ContainsKey(other))
                {
                    problems.Add(new ValidationProblem(Reader.Loc(other), $"\"{other}\" is given without \"initial_buffer_size\"; the four buffer parameters go together"));
                }
            }
        }

        var ratio = r.Number("max_candidate_sequence_use_ratio", 0.9);
        if (ratio is <= 0 or > 1 || double.IsNaN(ratio))
        {
            problems.Add(new ValidationProblem(Reader.Loc("max_candidate_sequence_use_ratio"),
                $"value \"{parameters["max_candidate_sequence_use_ratio"]}\" is out of range; expected a number in (0, 1]"));
            ratio = 0.9;
        }

        string? onnxFile = null;
        if (parameters.TryGetValue("onnx_file_name", out var f))
        {
            if (f.Length == 0 || Path.IsPathRooted(f) || f.Split('/', '\\').Contains(".."))
            {
                problems.Add(new ValidationProblem(Reader.Loc("onnx_file_name"), $"value \"{f}\" is not a file name inside the version folder; expected e.g. \"model.onnx\""));
            }
            else
            {
                onnxFile = f;
            }
        }

        return new StatefulParameters
        {
            Engine = r.Choice("engine", EngineKind.OnnxRuntime, ("onnxruntime", EngineKind.OnnxRuntime), ("openvino", EngineKind.OpenVino)),
            OrtEp = ortEp,
            ComputePrecision = r.Choice("compute_precision", ComputePrecision.Fp32, ("fp32", ComputePrecision.Fp32), ("fp16", ComputePrecision.Fp16)),
            AlwaysPadToMaxBatch = r.Flag("always_pad_to_max_batch", false),
            StoreStatesAsFp16 = r.Flag("store_states_as_fp16", false),
            InferEndRequests = r.Flag("infer_end_requests", true),
            MaxCandidateSequenceUseRatio = ratio,
            BufferSizes = buffers,
            EnableCudaGraph = r.Flag("enable_cuda_graph", false),
            EnableTrtCaching = r.Flag("enable_trt_caching", false),
            TrtCacheDir = parameters.GetValueOrDefault("trt_cache_dir", "/tmp"),
            OnnxFileName = onnxFile,
            OpenVinoDevice = r.Choice("openvino_device", "CPU", ("CPU", "CPU"), ("GPU", "GPU"), ("AUTO", "AUTO")),
            OpenVinoMode = r.Choice("openvino_mode", OpenVinoMode.Batched, ("batched", OpenVinoMode.Batched), ("per_slot", OpenVinoMode.PerSlot)),
            ConstantInputs = ReadConstantInputs(parameters, problems),
            InputContexts = ReadInputContexts(parameters, problems),
            StatePairs = ReadStatePairs(config, parameters, problems),
        };
    }

    private static List<ConstantInput> ReadConstantInputs(Dictionary<string, string> parameters, ICollection<ValidationProblem> problems)
    {
        var list = new List<ConstantInput>();
        if (!parameters.TryGetValue("constant_inputs", out var text)) return list;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var raw in text.Split(','))
        {
            var item = raw.Trim();
            if (item.Length == 0) continue;
            var eq = item.IndexOf('=');
            var name = eq < 0 ? item : item[..eq].Trim();
            var valueText = eq < 0 ? "" : item[(eq + 1)..].Trim();
            if (eq <= 0 || name.Length == 0
                || !double.TryParse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                problems.Add(new ValidationProblem(Reader.Loc("constant_inputs"),
                    $"entry \"{item}\" in \"{text}\" is not name=number; expected e.g. \"sr=16000,foo=1\""));
                continue;
            }
            if (!seen.Add(name))
            {
                problems.Add(new ValidationProblem(Reader.Loc("constant_inputs"), $"input \"{name}\" is given twice"));
                continue;
            }
            list.Add(new ConstantInput(name, valueText, value));
        }
        return list;
    }

    private static List<InputContextDecl> ReadInputContexts(Dictionary<string, string> parameters, ICollection<ValidationProblem> problems)
    {
        var list = new List<InputContextDecl>();
        if (!parameters.TryGetValue("input_context", out var text)) return list;
        foreach (var raw in text.Split(','))
        {
            var item = raw.Trim();
            if (item.Length == 0) continue;
            var colon = item.LastIndexOf(':');
            var name = colon < 0 ? "" : item[..colon].Trim();
            if (name.Length == 0 || !int.TryParse(item[(colon + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var length) || length <= 0)
            {
                problems.Add(new ValidationProblem(Reader.Loc("input_context"),
                    $"entry \"{item}\" in \"{text}\" is not input:length with a length ≥ 1; expected e.g. \"input:64\""));
                continue;
            }
            if (list.Any(c => c.InputName == name))
            {
                problems.Add(new ValidationProblem(Reader.Loc("input_context"), $"input \"{name}\" is given twice"));
                continue;
            }
            list.Add(new InputContextDecl(name, length));
        }
        return list;
    }

    private static List<StatePairDecl> ReadStatePairs(ModelConfig config, Dictionary<string, string> parameters, ICollection<ValidationProblem> problems)
    {
        var list = new List<StatePairDecl>();
        if (parameters.TryGetValue("state_pairs", out var text))
        {
            if (StatePairsText.TryParse(text, out var pairs, out var error))
            {
                foreach (var (input, output) in pairs)
                {
                    list.Add(new StatePairDecl(input, output, null, null, [], StatePairSource.StatePairsParameter, Reader.Loc("state_pairs")));
                }
            }
            else
            {
                problems.Add(new ValidationProblem(Reader.Loc("state_pairs"), $"value \"{text}\" is malformed: {error}"));
            }
        }
        if (config.SequenceBatching is { } sb)
        {
            for (var i = 0; i < sb.State.Count; i++)
            {
                var s = sb.State[i];
                list.Add(new StatePairDecl(s.InputName, s.OutputName, s.DataType.ToTensorType(), s.Dims, s.InitialState,
                    StatePairSource.SequenceBatchingState, $"sequence_batching.state[{i}]"));
            }
        }
        return list;
    }

    /// <summary>Reads single parameters, recording a problem (and returning the default) for a bad value.</summary>
    private sealed class Reader(Dictionary<string, string> parameters, ICollection<ValidationProblem> problems)
    {
        public static string Loc(string key) => $"parameters[\"{key}\"]";

        public T Choice<T>(string key, T fallback, params (string Text, T Value)[] choices)
        {
            if (!parameters.TryGetValue(key, out var text)) return fallback;
            foreach (var (t, v) in choices)
            {
                // Values are matched ignoring case ("TRT", "Fp16"), as the backend's users write both.
                if (string.Equals(t, text.Trim(), StringComparison.OrdinalIgnoreCase)) return v;
            }
            problems.Add(new ValidationProblem(Loc(key), $"value \"{text}\" is not accepted; expected one of: {string.Join(", ", choices.Select(c => c.Text))}"));
            return fallback;
        }

        public bool Flag(string key, bool fallback)
        {
            if (!parameters.TryGetValue(key, out var text)) return fallback;
            switch (text.Trim().ToLowerInvariant())
            {
                case "1" or "true": return true;
                case "0" or "false": return false;
                default:
                    problems.Add(new ValidationProblem(Loc(key), $"value \"{text}\" is not a flag; expected one of: 0, 1, true, false"));
                    return fallback;
            }
        }

        public long Count(string key, bool required)
        {
            if (!parameters.TryGetValue(key, out var text))
            {
                if (required) problems.Add(new ValidationProblem(Loc(key), $"missing; \"initial_buffer_size\" is given, so \"{key}\" must be given too (an integer ≥ 0)"));
                return 0;
            }
            if (long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v) && v >= 0) return v;
            problems.Add(new ValidationProblem(Loc(key), $"value \"{text}\" is not accepted; expected an integer ≥ 0"));
            return 0;
        }

        public double Number(string key, double fallback)
        {
            if (!parameters.TryGetValue(key, out var text)) return fallback;
            if (double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) return v;
            problems.Add(new ValidationProblem(Loc(key), $"value \"{text}\" is not a number; expected e.g. 0.9"));
            return fallback;
        }
    }
}
