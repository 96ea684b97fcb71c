using OvStateful.Core.Serving;

namespace OvStateful.Server.SharedMemory;

/// <summary>
/// Triton's shared-memory extensions, server side: the regions clients registered by name
/// (system shared memory: a POSIX key, an offset and a byte size), their status, and leases on
/// them for the requests whose tensors live there. One per server, shared by HTTP and gRPC.
/// CUDA shared memory is not served: registering a CUDA region fails saying so, and its status
/// and unregister calls answer as for a server with no CUDA regions (Triton's clients clear both
/// kinds before they start).
/// </summary>
internal sealed class SharedMemoryRegistry : IDisposable
{
    private readonly Lock _lock = new();
    // Invariant: keys equal the regions' names; every region here is not revoked and holds the registry's reference.
    private readonly Dictionary<string, SystemSharedMemoryRegion> _system = new(StringComparer.Ordinal);

    /// <summary>Maps and registers a region; Triton's errors (already registered, cannot open, outside the object).</summary>
    public void RegisterSystem(string name, string key, ulong offset, ulong byteSize)
    {
        if (string.IsNullOrEmpty(name))
            throw new InferenceException(InferenceErrorKind.InvalidArgument, "'region name' is necessary to register system shared memory region");
        lock (_lock)
        {
            if (_system.ContainsKey(name)) throw AlreadyRegistered(name);
        }
        // Mapping is file I/O: done outside the lock, then published if the name is still free.
        var region = SystemSharedMemoryRegion.Map(name, key, offset, byteSize);
        lock (_lock)
        {
            if (_system.TryAdd(name, region)) return;
        }
        region.Revoke();
        throw AlreadyRegistered(name);
    }

    private static InferenceException AlreadyRegistered(string name) =>
        new(InferenceErrorKind.AlreadyExists, $"shared memory region '{name}' already in manager; unregister it first to register it again");

    /// <summary>Unregisters one region (a name that is not registered is no error, as in Triton), or all when <paramref name="name"/> is empty.</summary>
    public void UnregisterSystem(string? name)
    {
        List<SystemSharedMemoryRegion> gone = [];
        lock (_lock)
        {
            if (string.IsNullOrEmpty(name))
            {
                gone.AddRange(_system.Values);
                _system.Clear();
            }
            else if (_system.Remove(name, out var r))
            {
                gone.Add(r);
            }
        }
        // Requests that still hold a region keep its mapping until they finish; they fail rather than write to it.
        foreach (var r in gone) r.Revoke();
    }

    /// <summary>Every region (empty name) or the one named; NOT_FOUND with Triton's message when it is not registered.</summary>
    public IReadOnlyList<SystemSharedMemoryRegion> SystemStatus(string? name)
    {
        lock (_lock)
        {
            if (string.IsNullOrEmpty(name)) return _system.Values.OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
            if (_system.TryGetValue(name, out var r)) return [r];
        }
        throw new InferenceException(InferenceErrorKind.NotFound, $"Unable to find system shared memory region: '{name}'; registered: {RegisteredNames()}");
    }

    /// <summary>CUDA regions are never registered here: say so clearly.</summary>
    public static InferenceException CudaNotSupported(string name) =>
        new(InferenceErrorKind.InvalidArgument, $"failed to register CUDA shared memory region: '{name}': CUDA shared memory is not supported on this server (it serves no CUDA device memory to clients); use system shared memory or send the tensor data in the request");

    /// <summary>Status of CUDA regions: none (a named one is NOT_FOUND, as Triton answers for a name it does not hold).</summary>
    public static void CheckCudaStatus(string? name)
    {
        if (!string.IsNullOrEmpty(name))
            throw new InferenceException(InferenceErrorKind.NotFound, $"Unable to find cuda shared memory region: '{name}'; this server holds no CUDA shared memory regions (not supported on this server)");
    }

    /// <summary>
    /// A lease on [offset, offset + byteSize) of region <paramref name="name"/> for one tensor of one
    /// request; Triton's errors for an unknown region or a range outside it.
    /// </summary>
    public SharedMemoryLease Acquire(string name, ulong offset, ulong byteSize, string tensor)
    {
        SystemSharedMemoryRegion? region;
        lock (_lock)
        {
            _system.TryGetValue(name, out region);
        }
        // The region may be unregistered between the lookup and this: then it is as if it never was.
        if (region is null || !region.TryAddUser())
            throw new InferenceException(InferenceErrorKind.NotFound, $"Unable to find shared memory region: '{name}' (named by tensor '{tensor}'); registered: {RegisteredNames()}");
        var size = (ulong)region.ByteSize;
        string? error = null;
        if (size == 0 || offset > size - 1)
            error = $"Invalid offset for shared memory region: '{name}': tensor '{tensor}' asks for offset {offset}, the region has {size} bytes";
        else if (byteSize == 0 || byteSize > size - offset)
            error = $"Invalid offset + byte size for shared memory region: '{name}': tensor '{tensor}' asks for {byteSize} bytes at offset {offset}, the region has {size} bytes";
        if (error is not null)
        {
            region.Release();
            throw new InferenceException(InferenceErrorKind.InvalidArgument, error);
        }
        return new SharedMemoryLease(region, (long)offset, (int)Math.Min(byteSize, int.MaxValue), tensor);
    }

    private string RegisteredNames()
    {
        lock (_lock)
        {
            return _system.Count == 0 ? "(none)" : string.Join(", ", _system.Keys.Order(StringComparer.Ordinal).Select(n => $"'{n}'"));
        }
    }

    /// <summary>Unregisters everything (server shutdown); mappings in use go when their requests finish.</summary>
    public void Dispose() => UnregisterSystem(null);
}

/// <summary>
/// One request's hold on part of a region: the mapping stays valid until <see cref="Dispose"/>.
/// Reading or writing after the region was unregistered fails the request alone.
/// </summary>
internal sealed class SharedMemoryLease(SystemSharedMemoryRegion region, long offset, int byteSize, string tensor) : IDisposable
{
    // Invariant: 1 once disposed; the region's reference is released exactly once.
    private int _disposed;

    public string Region => region.Name;
    public int ByteSize => byteSize;

    public byte[] Read()
    {
        ThrowIfRevoked("read");
        return region.Read(offset, byteSize);
    }

    public void Write(ReadOnlySpan<byte> data)
    {
        ThrowIfRevoked("written");
        region.Write(offset, data);
    }

    private void ThrowIfRevoked(string what)
    {
        if (region.IsRevoked)
            throw new InferenceException(InferenceErrorKind.InvalidArgument, $"shared memory region '{region.Name}' was unregistered while the request used it; tensor '{tensor}' was not {what}");
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) region.Release();
    }
}
