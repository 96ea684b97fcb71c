namespace OvStateful.OnnxRuntime.Interop;

/// <summary>
/// The part of ONNX Runtime's <c>OrtApi</c> function table we call, read by index from the
/// table <c>GetApi(29)</c> returns. The table is append-only across releases, so an index
/// never moves; indices are the member order of <c>struct OrtApi</c> in onnxruntime_c_api.h.
/// Every status-returning function returns <c>OrtStatus*</c> (null = success); callers wrap
/// it in <see cref="OrtStatusCheck.ThrowIfFailed"/>.
/// </summary>
internal sealed unsafe class OrtApi
{
    // Status
    public readonly delegate* unmanaged<IntPtr /* OrtStatus* */, int /* OrtErrorCode */> GetErrorCode;
    public readonly delegate* unmanaged<IntPtr /* OrtStatus* */, IntPtr /* const char* */> GetErrorMessage;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseStatus;

    // Environment and sessions
    public readonly delegate* unmanaged<int /* OrtLoggingLevel */, byte* /* logid */, IntPtr* /* OrtEnv** */, IntPtr> CreateEnv;
    public readonly delegate* unmanaged<IntPtr /* env */, byte* /* model path */, IntPtr /* options */, IntPtr* /* OrtSession** */, IntPtr> CreateSession;
    public readonly delegate* unmanaged<IntPtr /* session */, IntPtr /* run options */, IntPtr* /* input names */, IntPtr* /* inputs */, nuint,
        IntPtr* /* output names */, nuint, IntPtr* /* outputs */, IntPtr> Run;
    public readonly delegate* unmanaged<IntPtr* /* OrtSessionOptions** */, IntPtr> CreateSessionOptions;
    public readonly delegate* unmanaged<IntPtr, int, IntPtr> SetSessionLogSeverityLevel;
    public readonly delegate* unmanaged<IntPtr, int /* GraphOptimizationLevel */, IntPtr> SetSessionGraphOptimizationLevel;
    public readonly delegate* unmanaged<IntPtr, int, IntPtr> SetIntraOpNumThreads;
    public readonly delegate* unmanaged<IntPtr, int, IntPtr> SetInterOpNumThreads;
    public readonly delegate* unmanaged<IntPtr /* options */, byte* /* key */, byte* /* value */, IntPtr> AddSessionConfigEntry;
    public readonly delegate* unmanaged<IntPtr, nuint*, IntPtr> SessionGetInputCount;
    public readonly delegate* unmanaged<IntPtr, nuint*, IntPtr> SessionGetOutputCount;
    public readonly delegate* unmanaged<IntPtr, nuint, IntPtr* /* OrtTypeInfo** */, IntPtr> SessionGetInputTypeInfo;
    public readonly delegate* unmanaged<IntPtr, nuint, IntPtr* /* OrtTypeInfo** */, IntPtr> SessionGetOutputTypeInfo;
    /// <summary>The name is allocated with the given allocator; free it with <see cref="AllocatorFree"/>.</summary>
    public readonly delegate* unmanaged<IntPtr, nuint, IntPtr /* OrtAllocator* */, IntPtr* /* char** */, IntPtr> SessionGetInputName;
    public readonly delegate* unmanaged<IntPtr, nuint, IntPtr /* OrtAllocator* */, IntPtr* /* char** */, IntPtr> SessionGetOutputName;
    public readonly delegate* unmanaged<IntPtr* /* OrtRunOptions** */, IntPtr> CreateRunOptions;

    // Tensors and type information
    /// <summary>Does not copy and does not own <c>p_data</c>: it must outlive the value.</summary>
    public readonly delegate* unmanaged<IntPtr /* memory info */, void* /* data */, nuint /* bytes */, long* /* shape */, nuint /* rank */,
        int /* ONNXTensorElementDataType */, IntPtr* /* OrtValue** */, IntPtr> CreateTensorWithDataAsOrtValue;
    public readonly delegate* unmanaged<IntPtr /* OrtValue* */, void** /* out */, IntPtr> GetTensorMutableData;
    /// <summary>The tensor info belongs to the type info (do not release it).</summary>
    public readonly delegate* unmanaged<IntPtr /* OrtTypeInfo* */, IntPtr* /* const OrtTensorTypeAndShapeInfo** */, IntPtr> CastTypeInfoToTensorInfo;
    public readonly delegate* unmanaged<IntPtr /* OrtTypeInfo* */, int* /* ONNXType */, IntPtr> GetOnnxTypeFromTypeInfo;
    public readonly delegate* unmanaged<IntPtr, int*, IntPtr> GetTensorElementType;
    public readonly delegate* unmanaged<IntPtr, nuint*, IntPtr> GetDimensionsCount;
    public readonly delegate* unmanaged<IntPtr, long*, nuint, IntPtr> GetDimensions;
    /// <summary>The strings belong to the info.</summary>
    public readonly delegate* unmanaged<IntPtr, IntPtr* /* const char** */, nuint, IntPtr> GetSymbolicDimensions;
    public readonly delegate* unmanaged<IntPtr /* OrtValue* */, IntPtr* /* OrtTensorTypeAndShapeInfo** */, IntPtr> GetTensorTypeAndShape;

    // Memory
    public readonly delegate* unmanaged<byte* /* name */, int /* OrtAllocatorType */, int /* device id */, int /* OrtMemType */, IntPtr* /* OrtMemoryInfo** */, IntPtr> CreateMemoryInfo;
    public readonly delegate* unmanaged<int /* OrtAllocatorType */, int /* OrtMemType */, IntPtr* /* OrtMemoryInfo** */, IntPtr> CreateCpuMemoryInfo;
    public readonly delegate* unmanaged<IntPtr /* OrtAllocator* */, void*, IntPtr> AllocatorFree;
    /// <summary>The default CPU allocator belongs to ONNX Runtime (never released).</summary>
    public readonly delegate* unmanaged<IntPtr* /* OrtAllocator** */, IntPtr> GetAllocatorWithDefaultOptions;

    // IoBinding
    public readonly delegate* unmanaged<IntPtr /* session */, IntPtr /* run options */, IntPtr /* binding */, IntPtr> RunWithBinding;
    public readonly delegate* unmanaged<IntPtr /* session */, IntPtr* /* OrtIoBinding** */, IntPtr> CreateIoBinding;
    public readonly delegate* unmanaged<IntPtr /* binding */, byte* /* name */, IntPtr /* OrtValue* */, IntPtr> BindInput;
    public readonly delegate* unmanaged<IntPtr /* binding */, byte* /* name */, IntPtr /* OrtValue* */, IntPtr> BindOutput;
    public readonly delegate* unmanaged<IntPtr, IntPtr> SynchronizeBoundOutputs;

    // Execution providers
    public readonly delegate* unmanaged<IntPtr /* options */, IntPtr /* OrtTensorRTProviderOptionsV2* */, IntPtr> SessionOptionsAppendExecutionProvider_TensorRT_V2;
    public readonly delegate* unmanaged<IntPtr* /* OrtTensorRTProviderOptionsV2** */, IntPtr> CreateTensorRTProviderOptions;
    public readonly delegate* unmanaged<IntPtr, IntPtr* /* keys */, IntPtr* /* values */, nuint, IntPtr> UpdateTensorRTProviderOptions;
    public readonly delegate* unmanaged<IntPtr /* options */, IntPtr /* OrtCUDAProviderOptionsV2* */, IntPtr> SessionOptionsAppendExecutionProvider_CUDA_V2;
    public readonly delegate* unmanaged<IntPtr* /* OrtCUDAProviderOptionsV2** */, IntPtr> CreateCUDAProviderOptions;
    public readonly delegate* unmanaged<IntPtr, IntPtr* /* keys */, IntPtr* /* values */, nuint, IntPtr> UpdateCUDAProviderOptions;

    // Release functions (void, accept null)
    public readonly delegate* unmanaged<IntPtr, void> ReleaseEnv;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseMemoryInfo;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseSession;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseValue;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseRunOptions;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseTypeInfo;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseTensorTypeAndShapeInfo;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseSessionOptions;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseIoBinding;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseTensorRTProviderOptions;
    public readonly delegate* unmanaged<IntPtr, void> ReleaseCUDAProviderOptions;

    public OrtApi(IntPtr table)
    {
        var f = (IntPtr*)table;
        GetErrorCode = (delegate* unmanaged<IntPtr, int>)f[1];
        GetErrorMessage = (delegate* unmanaged<IntPtr, IntPtr>)f[2];
        CreateEnv = (delegate* unmanaged<int, byte*, IntPtr*, IntPtr>)f[3];
        CreateSession = (delegate* unmanaged<IntPtr, byte*, IntPtr, IntPtr*, IntPtr>)f[7];
        Run = (delegate* unmanaged<IntPtr, IntPtr, IntPtr*, IntPtr*, nuint, IntPtr*, nuint, IntPtr*, IntPtr>)f[9];
        CreateSessionOptions = (delegate* unmanaged<IntPtr*, IntPtr>)f[10];
        SetSessionLogSeverityLevel = (delegate* unmanaged<IntPtr, int, IntPtr>)f[22];
        SetSessionGraphOptimizationLevel = (delegate* unmanaged<IntPtr, int, IntPtr>)f[23];
        SetIntraOpNumThreads = (delegate* unmanaged<IntPtr, int, IntPtr>)f[24];
        SetInterOpNumThreads = (delegate* unmanaged<IntPtr, int, IntPtr>)f[25];
        SessionGetInputCount = (delegate* unmanaged<IntPtr, nuint*, IntPtr>)f[30];
        SessionGetOutputCount = (delegate* unmanaged<IntPtr, nuint*, IntPtr>)f[31];
        SessionGetInputTypeInfo = (delegate* unmanaged<IntPtr, nuint, IntPtr*, IntPtr>)f[33];
        SessionGetOutputTypeInfo = (delegate* unmanaged<IntPtr, nuint, IntPtr*, IntPtr>)f[34];
        SessionGetInputName = (delegate* unmanaged<IntPtr, nuint, IntPtr, IntPtr*, IntPtr>)f[36];
        SessionGetOutputName = (delegate* unmanaged<IntPtr, nuint, IntPtr, IntPtr*, IntPtr>)f[37];
        CreateRunOptions = (delegate* unmanaged<IntPtr*, IntPtr>)f[39];
        CreateTensorWithDataAsOrtValue = (delegate* unmanaged<IntPtr, void*, nuint, long*, nuint, int, IntPtr*, IntPtr>)f[49];
        GetTensorMutableData = (delegate* unmanaged<IntPtr, void**, IntPtr>)f[51];
        CastTypeInfoToTensorInfo = (delegate* unmanaged<IntPtr, IntPtr*, IntPtr>)f[55];
        GetOnnxTypeFromTypeInfo = (delegate* unmanaged<IntPtr, int*, IntPtr>)f[56];
        GetTensorElementType = (delegate* unmanaged<IntPtr, int*, IntPtr>)f[60];
        GetDimensionsCount = (delegate* unmanaged<IntPtr, nuint*, IntPtr>)f[61];
        GetDimensions = (delegate* unmanaged<IntPtr, long*, nuint, IntPtr>)f[62];
        GetSymbolicDimensions = (delegate* unmanaged<IntPtr, IntPtr*, nuint, IntPtr>)f[63];
        GetTensorTypeAndShape = (delegate* unmanaged<IntPtr, IntPtr*, IntPtr>)f[65];
        CreateMemoryInfo = (delegate* unmanaged<byte*, int, int, int, IntPtr*, IntPtr>)f[68];
        CreateCpuMemoryInfo = (delegate* unmanaged<int, int, IntPtr*, IntPtr>)f[69];
        AllocatorFree = (delegate* unmanaged<IntPtr, void*, IntPtr>)f[76];
        GetAllocatorWithDefaultOptions = (delegate* unmanaged<IntPtr*, IntPtr>)f[78];
        ReleaseEnv = (delegate* unmanaged<IntPtr, void>)f[92];
        ReleaseStatus = (delegate* unmanaged<IntPtr, void>)f[93];
        ReleaseMemoryInfo = (delegate* unmanaged<IntPtr, void>)f[94];
        ReleaseSession = (delegate* unmanaged<IntPtr, void>)f[95];
        ReleaseValue = (delegate* unmanaged<IntPtr, void>)f[96];
        ReleaseRunOptions = (delegate* unmanaged<IntPtr, void>)f[97];
        ReleaseTypeInfo = (delegate* unmanaged<IntPtr, void>)f[98];
        ReleaseTensorTypeAndShapeInfo = (delegate* unmanaged<IntPtr, void>)f[99];
        ReleaseSessionOptions = (delegate* unmanaged<IntPtr, void>)f[100];
        AddSessionConfigEntry = (delegate* unmanaged<IntPtr, byte*, byte*, IntPtr>)f[130];
        RunWithBinding = (delegate* unmanaged<IntPtr, IntPtr, IntPtr, IntPtr>)f[133];
        CreateIoBinding = (delegate* unmanaged<IntPtr, IntPtr*, IntPtr>)f[134];
        ReleaseIoBinding = (delegate* unmanaged<IntPtr, void>)f[135];
        BindInput = (delegate* unmanaged<IntPtr, byte*, IntPtr, IntPtr>)f[136];
        BindOutput = (delegate* unmanaged<IntPtr, byte*, IntPtr, IntPtr>)f[137];
        SessionOptionsAppendExecutionProvider_TensorRT_V2 = (delegate* unmanaged<IntPtr, IntPtr, IntPtr>)f[170];
        CreateTensorRTProviderOptions = (delegate* unmanaged<IntPtr*, IntPtr>)f[171];
        UpdateTensorRTProviderOptions = (delegate* unmanaged<IntPtr, IntPtr*, IntPtr*, nuint, IntPtr>)f[172];
        ReleaseTensorRTProviderOptions = (delegate* unmanaged<IntPtr, void>)f[174];
        SynchronizeBoundOutputs = (delegate* unmanaged<IntPtr, IntPtr>)f[203];
        SessionOptionsAppendExecutionProvider_CUDA_V2 = (delegate* unmanaged<IntPtr, IntPtr, IntPtr>)f[204];
        CreateCUDAProviderOptions = (delegate* unmanaged<IntPtr*, IntPtr>)f[205];
        UpdateCUDAProviderOptions = (delegate* unmanaged<IntPtr, IntPtr*, IntPtr*, nuint, IntPtr>)f[206];
        ReleaseCUDAProviderOptions = (delegate* unmanaged<IntPtr, void>)f[208];
    }
}
