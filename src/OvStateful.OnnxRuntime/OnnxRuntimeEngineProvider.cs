using OvStateful.Core.Config;
using OvStateful.Core.Engines;
using OvStateful.Core.State;
using OvStateful.OnnxRuntime.Interop;

namespace OvStateful.OnnxRuntime;

/// <summary>Loads models into <see cref="OnnxRuntimeEngine"/>s; reports whether ONNX Runtime is present.</summary>
public sealed class OnnxRuntimeEngineProvider : IEngineProvider
{
    private readonly OnnxRuntimeOptions _options;

    public OnnxRuntimeEngineProvider(OnnxRuntimeOptions? options = null) => _options = options ?? new OnnxRuntimeOptions();

    public string Name => "onnxruntime";

    public EngineAvailability Availability =>
        OrtLibrary.TryGet(out var lib, out var reason)
            ? EngineAvailability.Available($"ONNX Runtime {lib!.Version} ({lib.Path})")
            : EngineAvailability.Unavailable(reason);

    public ModelFileSignature Inspect(string modelFile)
    {
        using var session = OpenSession(modelFile, new OrtSessionSettings { IntraOpThreads = 1, OptimizationLevel = OrtGraphOptimizationLevel.DisableAll });
        return new ModelFileSignature(
            session.Inputs.Where(i => i.IsTensor).Select(ToFileTensor).ToArray(),
            session.Outputs.Where(o => o.IsTensor).Select(ToFileTensor).ToArray());
    }

    public IStatefulEngine Load(EngineLoadContext context)
    {
        var config = context.Config;
        var settings = SessionSettings(config, context);
        var session = OpenSession(context.ModelFile, settings);
        try
        {
            var signature = new ModelFileSignature(session.Inputs.Select(ToFileTensor).ToArray(), session.Outputs.Select(ToFileTensor).ToArray());
            var plan = ModelPlan.Build(config, signature, context.VersionDirectory);
            var behaviour = new EngineBehaviour(
                InferEndRequests: Param(config, "infer_end_requests", "1") != "0",
                PadToMaxBatch: Param(config, "always_pad_to_max_batch", "0") == "1",
                SynchronizeOutputs: settings.Provider != OrtExecutionProvider.Cpu);
            var growth = new ArenaGrowth(IntParam(config, "initial_buffer_size"), IntParam(config, "subsequent_buffer_size"));
            var name = settings.Provider switch
            {
                OrtExecutionProvider.Cuda => "onnxruntime:cuda",
                OrtExecutionProvider.TensorRt => "onnxruntime:trt",
                _ => "onnxruntime",
            };
            var slots = context.SlotCount;
            Func<ModelPlan, IOrtStateStore> store = settings.Provider == OrtExecutionProvider.Cpu
                ? p => new HostStateStore(new HostStateArena(p.States.Select(s => s.Spec).ToArray(), slots, p.States.Select(s => s.InitialRow).ToArray(), growth), p.MaxBatchSize)
                : p => new CudaStateStore(p, slots, settings.DeviceId);
            return new OnnxRuntimeEngine(name, plan, session, slots, behaviour, store);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The execution provider as the stateful backend picks it: KIND_CPU instances (or the
    /// "cpu" device) run on CPU; GPU instances use ort_ep (trt or cuda), on the instance's GPU.
    /// </summary>
    internal OrtSessionSettings SessionSettings(ModelConfig config, EngineLoadContext context)
    {
        var group = config.InstanceGroup.FirstOrDefault();
        var device = context.Device ?? _options.Device;
        var gpu = device is not null
            ? device.StartsWith("cuda", StringComparison.OrdinalIgnoreCase) || device.StartsWith("trt", StringComparison.OrdinalIgnoreCase)
            : group?.Kind == InstanceKind.Gpu;
        var provider = OrtExecutionProvider.Cpu;
        if (gpu)
        {
            var ep = device is not null && device.StartsWith("trt", StringComparison.OrdinalIgnoreCase) ? "trt"
                : device is not null ? "cuda" : Param(config, "ort_ep", "cuda");
            provider = ep == "trt" ? OrtExecutionProvider.TensorRt : OrtExecutionProvider.Cuda;
        }
        var deviceId = device is not null && device.Contains(':') ? int.Parse(device[(device.IndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture)
            : group?.Gpus.Count > 0 ? group.Gpus[context.InstanceIndex % group.Gpus.Count] : 0;
        return new OrtSessionSettings
        {
            IntraOpThreads = _options.IntraOpThreads,
            InterOpThreads = _options.InterOpThreads,
            Provider = provider,
            DeviceId = deviceId,
            TensorRtFp16 = Param(config, "compute_precision", "fp32") == "fp16",
            TensorRtEngineCache = Param(config, "enable_trt_caching", "0") == "1",
            TensorRtCachePath = Param(config, "trt_cache_dir", "/tmp"),
            CudaGraph = Param(config, "enable_cuda_graph", "0") == "1",
        };
    }

    private static OrtSession OpenSession(string modelFile, OrtSessionSettings settings)
    {
        try
        {
            return OrtSession.Create(modelFile, settings);
        }
        catch (OrtException e)
        {
            throw new EngineException($"ONNX Runtime cannot load model file {modelFile}: {e.OrtMessage}. Check that it is a valid ONNX model (opset supported by ONNX Runtime 1.29+).", e);
        }
        catch (FileNotFoundException e)
        {
            throw new EngineException($"{e.Message}; put the model there or set onnx_file_name / default_model_filename in config.pbtxt", e);
        }
        catch (OrtLibraryException e)
        {
            throw new EngineUnavailableException(e.Message);
        }
    }

    private static ModelFileTensor ToFileTensor(OrtTensorInfo t) => new(t.Name, t.ElementType.ToDataType(), t.Shape);

    private static string Param(ModelConfig config, string key, string fallback) =>
        config.Parameters.TryGetValue(key, out var v) ? v.Trim() : fallback;

    private static int IntParam(ModelConfig config, string key) =>
        config.Parameters.TryGetValue(key, out var v) && int.TryParse(v, out var n) && n > 0 ? n : 0;
}

/// <summary>Host-wide ONNX Runtime settings (threads, a device override for every model).</summary>
public sealed record OnnxRuntimeOptions
{
    /// <summary>0 = ORT's default.</summary>
    public int IntraOpThreads { get; init; }
    public int InterOpThreads { get; init; }
    /// <summary>"cpu", "cuda[:N]" or "trt[:N]" for every model; null = from each config.</summary>
    public string? Device { get; init; }
}
