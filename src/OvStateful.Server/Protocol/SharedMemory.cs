namespace OvStateful.Server.Protocol;

/// <summary>
/// Triton's shared-memory extensions are not served: a tensor that points into a region fails
/// clearly instead of being read as if it carried no data.
/// </summary>
internal static class SharedMemory
{
    public const string RegionParameter = "shared_memory_region";

    public static Exception NotSupported(string tensor) =>
        ServerErrors.Invalid($"tensor '{tensor}' uses parameter '{RegionParameter}'; this server does not offer the shared-memory extensions, send the data in the request");
}
