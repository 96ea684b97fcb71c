using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using OvStateful.Core.Config;
using ModelConfig = OvStateful.Protocol.Inference.ModelConfig;
using OvStateful.Core.Engines;
using OvStateful.Core.State;

namespace OvStateful.OnnxRuntime;

/// <summary>Loads models into <see cref="OnnxRuntimeEngine"/>s; reports whether ONNX Runtime is present.</summary>
public sealed partial class OnnxRuntimeEngineProvider : IEngineProvider
{
    private readonly OnnxRuntimeOptions _options;
    private readonly ILogger _logger;

    /// <param name="options">Host-wide settings; null = defaults.</param>
    /// <param name="logger">Hears a warning whenever a model runs on another device than its config asks for; null = none.</param>
    public OnnxRuntimeEngineProvider(OnnxRuntimeOptions? options = null, ILogger? logger = null)
    {
        _options = options ?? new OnnxRuntimeOptions();
        _logger = logger ?? NullLogger.Instance;
        OrtNativeLibrary.EnsureResolver();
    }

    public string Name => "onnxruntime";

    public EngineAvailability Availability =>
        OrtNativeLibrary.TryGet(out var lib, out var reason)
            ? EngineAvailability.Available($"ONNX Runtime {lib!.Version} ({lib.Path}; {string.Join(", ", lib.ExecutionProviders)})")
            : EngineAvailability.Unavailable(reason);

    /// <summary>The ONNX Runtime library in use (path, version, execution providers); null when it cannot be loaded (see <see cref="Availability"/>).</summary>
    public OrtLibraryInfo? Library => OrtNativeLibrary.TryGet(out var lib, out _) ? lib : null;

    public ModelFileSignature Inspect(string modelFile)
    {
        using var session = OpenSession(modelFile, new OrtSessionSettings { IntraOpThreads = 1, OptimizationLevel = OrtGraphOptimizationLevel.DisableAll });
        return OrtSessions.Signature(session, tensorsOnly: true);
    }

    public IStatefulEngine Load(EngineLoadContext context)
    {
        var config = context.Config;
        var parameters = ReadParameters(config);
        var (settings, placement) = SessionSettings(config, parameters, context);
        if (placement.FellBack) LogDeviceFallback(_logger, config.Name, placement.Requested, placement.Used, placement.Reason);
        var session = OpenSession(context.ModelFile, settings);
        try
        {
            var plan = ModelPlan.Build(config, OrtSessions.Signature(session), context.VersionDirectory);
            var behaviour = new EngineBehaviour(
                InferEndRequests: parameters.InferEndRequests,
                PadToMaxBatch: parameters.AlwaysPadToMaxBatch,
                SynchronizeOutputs: settings.Provider != OrtExecutionProvider.Cpu);
            var growth = parameters.BufferSizes is { } b
                ? new ArenaGrowth(checked((int)b.InitialBufferSize), checked((int)b.SubsequentBufferSize))
                : ArenaGrowth.AllAtOnce;
            var name = settings.Provider switch
            {
                OrtExecutionProvider.Cuda => "onnxruntime:cuda",
                OrtExecutionProvider.TensorRt => "onnxruntime:trt",
                _ => "onnxruntime",
            };
            var slots = context.SlotCount;
            Func<ModelPlan, IOrtStateStore> store = settings.Provider == OrtExecutionProvider.Cpu
                ? p => new HostStateStore(new HostStateArena(p.States.Select(s => s.Spec).ToArray(), slots, p.States.Select(s => s.InitialRow).ToArray(), growth, parameters.StoreStatesAsFp16), p.MaxBatchSize)
                : p => new CudaStateStore(p, slots, settings.DeviceId);
            // input_context (Core) wraps any engine; a config without it gets the engine itself.
            return InputContextEngine.Wrap(new OnnxRuntimeEngine(name, placement, settings, LoadedLibrary().Version, plan, session, slots, behaviour, store), config);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Where an instance of this config would run, without loading it: the device the config (or
    /// an override) asks for and the one its session gets here. Throws <see cref="EngineException"/>
    /// for a bad config or an explicit device override that cannot run here.
    /// </summary>
    public OrtDevicePlacement Place(EngineLoadContext context) => SessionSettings(context.Config, ReadParameters(context.Config), context).Placement;

    /// <summary>
    /// The session settings of one instance: threads from the host options, the execution provider
    /// as <see cref="OrtDeviceChoice"/> picks it, on the instance's GPU.
    /// </summary>
    internal (OrtSessionSettings Settings, OrtDevicePlacement Placement) SessionSettings(ModelConfig config, StatefulParameters parameters, EngineLoadContext context)
    {
        var group = config.InstanceGroup.FirstOrDefault();
        var device = context.Device ?? _options.Device;
        var deviceId = OrtDeviceChoice.DeviceId(device)
            ?? (group?.Gpus.Count > 0 ? group.Gpus[context.InstanceIndex % group.Gpus.Count] : 0);
        // Probed only when a GPU could be wanted: KIND_CPU configs never touch libcudart.
        var support = parameters.OrtEp == OrtEpKind.Cpu && device is null ? new GpuSupport("not asked", "not asked") : GpuSupport.Probe(LoadedLibrary());
        var (provider, placement) = OrtDeviceChoice.Choose(parameters.OrtEp, device, deviceId, support);
        var settings = new OrtSessionSettings
        {
            IntraOpThreads = _options.IntraOpThreads,
            InterOpThreads = _options.InterOpThreads,
            Spinning = _options.Spinning,
            Provider = provider,
            DeviceId = deviceId,
            TensorRtFp16 = parameters.ComputePrecision == ComputePrecision.Fp16,
            TensorRtEngineCache = parameters.EnableTrtCaching,
            TensorRtCachePath = parameters.TrtCacheDir,
            CudaGraph = parameters.EnableCudaGraph,
        };
        return (settings, placement);
    }

    private static OrtLibraryInfo LoadedLibrary()
    {
        try
        {
            return OrtNativeLibrary.Get();
        }
        catch (OrtLibraryException e)
        {
            throw new EngineUnavailableException(e.Message);
        }
    }

    private static StatefulParameters ReadParameters(ModelConfig config)
    {
        try
        {
            return StatefulParameters.Read(config);
        }
        catch (ModelConfigException e)
        {
            throw new EngineException(e.Message, e);
        }
    }

    private static InferenceSession OpenSession(string modelFile, OrtSessionSettings settings)
    {
        try
        {
            return OrtSessions.Open(modelFile, settings);
        }
        catch (OnnxRuntimeException e)
        {
            throw new EngineException($"ONNX Runtime cannot load model file {modelFile}: {e.Message}. Check that it is a valid ONNX model (opset supported by ONNX Runtime {OrtNativeLibrary.MinimumVersion}+).", e);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "model \"{Model}\": asked for {Requested}, running on {Used}: {Reason}")]
    private static partial void LogDeviceFallback(ILogger logger, string model, string requested, string used, string reason);
}

/// <summary>Host-wide ONNX Runtime settings (threads, a device override for every model).</summary>
public sealed record OnnxRuntimeOptions
{
    /// <summary>0 = ORT's default.</summary>
    public int IntraOpThreads { get; init; }
    public int InterOpThreads { get; init; }
    /// <summary>"cpu", "cuda[:N]" or "trt[:N]" for every model; null = from each config.</summary>
    public string? Device { get; init; }
    /// <summary>When idle intra-op threads spin (ONNX Runtime's default: always); see <see cref="IntraOpSpinning"/>.</summary>
    public IntraOpSpinning Spinning { get; init; } = IntraOpSpinning.Always;
}
