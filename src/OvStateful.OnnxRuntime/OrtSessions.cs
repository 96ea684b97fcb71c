using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using OvStateful.Core.Engines;

namespace OvStateful.OnnxRuntime;

/// <summary>Opens <see cref="InferenceSession"/>s from <see cref="OrtSessionSettings"/> and reads what a model file declares.</summary>
internal static class OrtSessions
{
    /// <summary>Loads a model file. A missing file fails with <see cref="FileNotFoundException"/> naming it; ORT's own errors are <see cref="OnnxRuntimeException"/>.</summary>
    public static InferenceSession Open(string modelFile, OrtSessionSettings settings)
    {
        if (!File.Exists(modelFile)) throw new FileNotFoundException($"model file {modelFile} does not exist", modelFile);
        OrtNativeLibrary.Get();
        using var options = Options(settings);
        return new InferenceSession(modelFile, options);
    }

    /// <summary>The tensors a session reads and writes, in the model's order; dynamic dims are -1.</summary>
    public static ModelFileSignature Signature(InferenceSession session, bool tensorsOnly = false) => new(
        Tensors(session.InputNames, session.InputMetadata, tensorsOnly),
        Tensors(session.OutputNames, session.OutputMetadata, tensorsOnly));

    private static ModelFileTensor[] Tensors(IReadOnlyList<string> names, IReadOnlyDictionary<string, NodeMetadata> metadata, bool tensorsOnly) =>
        names.Select(n => (Name: n, Meta: metadata[n]))
            .Where(t => !tensorsOnly || t.Meta.IsTensor)
            .Select(t => t.Meta.IsTensor
                ? new ModelFileTensor(t.Name, t.Meta.ElementDataType.ToDataType(), t.Meta.Dimensions.Select(d => d < 0 ? -1L : d).ToArray())
                : new ModelFileTensor(t.Name, Core.Tensors.DataType.Invalid, []))
            .ToArray();

    private static SessionOptions Options(OrtSessionSettings s)
    {
        var options = new SessionOptions();
        try
        {
            if (s.IntraOpThreads > 0) options.IntraOpNumThreads = s.IntraOpThreads;
            if (s.InterOpThreads > 0) options.InterOpNumThreads = s.InterOpThreads;
            options.GraphOptimizationLevel = s.OptimizationLevel switch
            {
                OrtGraphOptimizationLevel.DisableAll => GraphOptimizationLevel.ORT_DISABLE_ALL,
                OrtGraphOptimizationLevel.Basic => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                OrtGraphOptimizationLevel.Extended => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
            };
            options.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING;
            if (s.Spinning == IntraOpSpinning.Never) options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            if (s.Spinning == IntraOpSpinning.DuringRun) options.AddSessionConfigEntry("session.force_spinning_stop", "1");
            switch (s.Provider)
            {
                case OrtExecutionProvider.Cuda:
                    AppendCuda(options, s);
                    break;
                case OrtExecutionProvider.TensorRt:
                    AppendTensorRt(options, s);
                    // TensorRT falls back to CUDA for the nodes it cannot take, as Triton's backend does.
                    AppendCuda(options, s);
                    break;
            }
            return options;
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }

    private static void AppendCuda(SessionOptions options, OrtSessionSettings s)
    {
        using var cuda = new OrtCUDAProviderOptions();
        var settings = new Dictionary<string, string> { ["device_id"] = s.DeviceId.ToString(CultureInfo.InvariantCulture) };
        if (s.CudaGraph && s.Provider == OrtExecutionProvider.Cuda) settings["enable_cuda_graph"] = "1";
        cuda.UpdateOptions(settings);
        options.AppendExecutionProvider_CUDA(cuda);
    }

    private static void AppendTensorRt(SessionOptions options, OrtSessionSettings s)
    {
        using var trt = new OrtTensorRTProviderOptions();
        var settings = new Dictionary<string, string>
        {
            ["device_id"] = s.DeviceId.ToString(CultureInfo.InvariantCulture),
            ["trt_fp16_enable"] = s.TensorRtFp16 ? "1" : "0",
            ["trt_engine_cache_enable"] = s.TensorRtEngineCache ? "1" : "0",
        };
        if (s.TensorRtEngineCache) settings["trt_engine_cache_path"] = s.TensorRtCachePath;
        if (s.CudaGraph) settings["trt_cuda_graph_enable"] = "1";
        trt.UpdateOptions(settings);
        options.AppendExecutionProvider_Tensorrt(trt);
    }
}
