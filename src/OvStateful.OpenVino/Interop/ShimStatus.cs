namespace OvStateful.OpenVino.Interop;

/// <summary>The shim's return codes (ovs_status in native/include/ovs_shim.h).</summary>
internal enum ShimStatus
{
    Ok = 0,
    InvalidArgument = 1,
    NotFound = 2,
    BufferTooSmall = 3,
    OpenVinoError = 4,
    OutOfMemory = 5,
    Unexpected = 6,
}

/// <summary>OpenVINO's PERFORMANCE_HINT for compile_model (Default: not given).</summary>
internal enum PerformanceHint
{
    Default = 0,
    Latency = 1,
    Throughput = 2,
}
