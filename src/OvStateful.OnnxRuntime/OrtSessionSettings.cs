namespace OvStateful.OnnxRuntime;

/// <summary>Which execution provider a session runs on.</summary>
public enum OrtExecutionProvider
{
    Cpu,
    Cuda,
    TensorRt,
}

/// <summary>How much ONNX Runtime rewrites the graph before running it (its GraphOptimizationLevel).</summary>
public enum OrtGraphOptimizationLevel
{
    DisableAll,
    Basic,
    Extended,
    All,
}

/// <summary>Everything that configures one ORT session. Zero thread counts leave ORT's defaults.</summary>
public sealed record OrtSessionSettings
{
    public int IntraOpThreads { get; init; }
    public int InterOpThreads { get; init; }
    public OrtGraphOptimizationLevel OptimizationLevel { get; init; } = OrtGraphOptimizationLevel.All;
    public OrtExecutionProvider Provider { get; init; } = OrtExecutionProvider.Cpu;
    /// <summary>CUDA device for Cuda and TensorRt.</summary>
    public int DeviceId { get; init; }
    /// <summary>TensorRT: build fp16 engines (compute_precision fp16).</summary>
    public bool TensorRtFp16 { get; init; }
    /// <summary>TensorRT: cache built engines in <see cref="TensorRtCachePath"/>.</summary>
    public bool TensorRtEngineCache { get; init; }
    public string TensorRtCachePath { get; init; } = "/tmp";
    /// <summary>When idle intra-op threads spin; ORT's default is <see cref="IntraOpSpinning.Always"/>.</summary>
    public IntraOpSpinning Spinning { get; init; } = IntraOpSpinning.Always;
    /// <summary>CUDA/TensorRT: capture the run into a CUDA graph (enable_cuda_graph).</summary>
    public bool CudaGraph { get; init; }
}
