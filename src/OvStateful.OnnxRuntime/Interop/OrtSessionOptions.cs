using System.Runtime.InteropServices;

namespace OvStateful.OnnxRuntime.Interop;

/// <summary>Builds an OrtSessionOptions from <see cref="OrtSessionSettings"/>.</summary>
internal static unsafe class OrtSessionOptions
{
    public static OrtSessionOptionsHandle Create(OrtSessionSettings s)
    {
        var api = OrtLibrary.Get().Api;
        var handle = new OrtSessionOptionsHandle();
        IntPtr p;
        OrtStatusCheck.ThrowIfFailed(api.CreateSessionOptions(&p));
        Marshal.InitHandle(handle, p);
        try
        {
            if (s.IntraOpThreads > 0) OrtStatusCheck.ThrowIfFailed(api.SetIntraOpNumThreads(p, s.IntraOpThreads));
            if (s.InterOpThreads > 0) OrtStatusCheck.ThrowIfFailed(api.SetInterOpNumThreads(p, s.InterOpThreads));
            OrtStatusCheck.ThrowIfFailed(api.SetSessionGraphOptimizationLevel(p, (int)s.OptimizationLevel));
            OrtStatusCheck.ThrowIfFailed(api.SetSessionLogSeverityLevel(p, (int)s.LogLevel));
            if (s.Spinning == IntraOpSpinning.Never) AddConfigEntry(api, p, "session.intra_op.allow_spinning", "0");
            if (s.Spinning == IntraOpSpinning.DuringRun) AddConfigEntry(api, p, "session.force_spinning_stop", "1");
            switch (s.Provider)
            {
                case OrtExecutionProvider.Cuda:
                    AppendCuda(api, p, s);
                    break;
                case OrtExecutionProvider.TensorRt:
                    AppendTensorRt(api, p, s);
                    // TensorRT falls back to CUDA for the nodes it cannot take, as Triton's backend does.
                    AppendCuda(api, p, s);
                    break;
            }
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static void AddConfigEntry(OrtApi api, IntPtr options, string key, string value)
    {
        fixed (byte* k = Utf8.Z(key))
        fixed (byte* v = Utf8.Z(value))
        {
            OrtStatusCheck.ThrowIfFailed(api.AddSessionConfigEntry(options, k, v));
        }
    }

    private static void AppendCuda(OrtApi api, IntPtr options, OrtSessionSettings s)
    {
        using var cuda = new OrtCudaProviderOptionsHandle();
        IntPtr p;
        OrtStatusCheck.ThrowIfFailed(api.CreateCUDAProviderOptions(&p));
        Marshal.InitHandle(cuda, p);
        var settings = new List<(string, string)> { ("device_id", s.DeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture)) };
        if (s.CudaGraph && s.Provider == OrtExecutionProvider.Cuda) settings.Add(("enable_cuda_graph", "1"));
        WithKeyValues(settings, (keys, values, n) => OrtStatusCheck.ThrowIfFailed(api.UpdateCUDAProviderOptions(cuda.Pointer, keys, values, n)));
        OrtStatusCheck.ThrowIfFailed(api.SessionOptionsAppendExecutionProvider_CUDA_V2(options, cuda.Pointer));
    }

    private static void AppendTensorRt(OrtApi api, IntPtr options, OrtSessionSettings s)
    {
        using var trt = new OrtTensorRtProviderOptionsHandle();
        IntPtr p;
        OrtStatusCheck.ThrowIfFailed(api.CreateTensorRTProviderOptions(&p));
        Marshal.InitHandle(trt, p);
        var settings = new List<(string, string)>
        {
            ("device_id", s.DeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("trt_fp16_enable", s.TensorRtFp16 ? "1" : "0"),
            ("trt_engine_cache_enable", s.TensorRtEngineCache ? "1" : "0"),
        };
        if (s.TensorRtEngineCache) settings.Add(("trt_engine_cache_path", s.TensorRtCachePath));
        if (s.CudaGraph) settings.Add(("trt_cuda_graph_enable", "1"));
        WithKeyValues(settings, (keys, values, n) => OrtStatusCheck.ThrowIfFailed(api.UpdateTensorRTProviderOptions(trt.Pointer, keys, values, n)));
        OrtStatusCheck.ThrowIfFailed(api.SessionOptionsAppendExecutionProvider_TensorRT_V2(options, trt.Pointer));
    }

    private delegate void KeyValueCall(IntPtr* keys, IntPtr* values, nuint count);

    // Marshals (key, value) pairs to two arrays of NUL-terminated UTF-8 strings for the duration of one call.
    private static void WithKeyValues(IReadOnlyList<(string Key, string Value)> pairs, KeyValueCall call)
    {
        var handles = new List<GCHandle>();
        try
        {
            var keys = stackalloc IntPtr[pairs.Count];
            var values = stackalloc IntPtr[pairs.Count];
            for (var i = 0; i < pairs.Count; i++)
            {
                var k = GCHandle.Alloc(Utf8.Z(pairs[i].Key), GCHandleType.Pinned);
                var v = GCHandle.Alloc(Utf8.Z(pairs[i].Value), GCHandleType.Pinned);
                handles.Add(k);
                handles.Add(v);
                keys[i] = k.AddrOfPinnedObject();
                values[i] = v.AddrOfPinnedObject();
            }
            call(keys, values, (nuint)pairs.Count);
        }
        finally
        {
            foreach (var h in handles) h.Free();
        }
    }
}
