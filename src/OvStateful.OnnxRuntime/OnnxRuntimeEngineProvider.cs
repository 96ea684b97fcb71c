using OvStateful.Core.Config;
using ModelConfig = OvStateful.Protocol.Inference.ModelConfig;
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
        var parameters = ReadParameters(config);
        var settings = SessionSettings(config, parameters, context);
        var session = OpenSession(context.ModelFile, settings);
        try
        {
            var signature = new ModelFileSignature(session.Inputs.Select(ToFileTensor).ToArray(), session.Outputs.Select(ToFileTensor).ToArray());
            var plan = ModelPlan.Build(config, signature, context.VersionDirectory);
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
    internal OrtSessionSettings SessionSettings(ModelConfig config, StatefulParameters parameters, EngineLoadContext context)
    {
        var group = config.InstanceGroup.FirstOrDefault();
        var device = context.Device ?? _options.Device;
        var provider = device is not null ? ProviderFromDevice(device)
            : parameters.OrtEp == OrtEpKind.Cpu ? OrtExecutionProvider.Cpu
            : parameters.OrtEp switch
            {
                // A config written for GPUs (KIND_GPU, ort_ep) still serves on a host without a
                // CUDA device: it runs on the CPU provider, as the conformance models must.
                _ when !CudaRuntime.IsAvailable(out _) => OrtExecutionProvider.Cpu,
                OrtEpKind.Cuda or OrtEpKind.Auto => OrtExecutionProvider.Cuda,
                OrtEpKind.TensorRt => OrtExecutionProvider.TensorRt,
                _ => OrtExecutionProvider.Cpu,
            };
        var deviceId = device is not null && device.Contains(':') ? int.Parse(device[(device.IndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture)
            : group?.Gpus.Count > 0 ? group.Gpus[context.InstanceIndex % group.Gpus.Count] : 0;
        return new OrtSessionSettings
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
    }

    private static OrtExecutionProvider ProviderFromDevice(string device) =>
        device.StartsWith("trt", StringComparison.OrdinalIgnoreCase) ? OrtExecutionProvider.TensorRt
        : device.StartsWith("cuda", StringComparison.OrdinalIgnoreCase) ? OrtExecutionProvider.Cuda
        : OrtExecutionProvider.Cpu;

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
