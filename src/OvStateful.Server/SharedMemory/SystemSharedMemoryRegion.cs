using System.IO.MemoryMappedFiles;
using OvStateful.Core.Serving;

namespace OvStateful.Server.SharedMemory;

/// <summary>
/// One registered system shared-memory region: bytes [Offset, Offset + ByteSize) of the POSIX
/// shared-memory object Key, mapped read-write. POSIX shm objects are files under /dev/shm on
/// Linux (what shm_open opens), so the mapping is .NET's own MemoryMappedFile over that file:
/// no native code, and the view is a SafeHandle. The registry holds one reference; each request
/// that reads or writes the region holds one more, so an unregister while a request uses it
/// never unmaps memory under that request: the mapping goes when the last user lets go.
/// </summary>
internal sealed class SystemSharedMemoryRegion
{
    /// <summary>Where POSIX shared-memory objects live on Linux.</summary>
    public const string ShmFolder = "/dev/shm";

    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    // Invariant: the registry's reference plus one per live Lease; the mapping is disposed when it reaches 0 and never used after.
    private int _users = 1;
    // 1 once unregistered: requests that still hold it fail instead of writing to a region the client gave up.
    private int _revoked;

    private SystemSharedMemoryRegion(string name, string key, long offset, long byteSize, MemoryMappedFile file, MemoryMappedViewAccessor view)
    {
        Name = name;
        Key = key;
        Offset = offset;
        ByteSize = byteSize;
        _file = file;
        _view = view;
    }

    public string Name { get; }
    public string Key { get; }
    public long Offset { get; }
    public long ByteSize { get; }
    public bool IsRevoked => Volatile.Read(ref _revoked) != 0;

    /// <summary>Maps the region or fails with Triton's message for the case (and what was wrong after it).</summary>
    public static SystemSharedMemoryRegion Map(string name, string key, ulong offset, ulong byteSize)
    {
        var path = PathOf(key) ?? throw new InferenceException(InferenceErrorKind.Internal,
            $"Unable to open shared memory region: '{key}': a POSIX shared-memory key is '/' followed by a name without '/' (such as /input_simple), as shm_open takes it");
        if (!File.Exists(path))
            throw new InferenceException(InferenceErrorKind.Internal, $"Unable to open shared memory region: '{key}': no shared-memory object of that key exists ({path}); create it (shm_open) before registering");
        long size;
        try
        {
            size = new FileInfo(path).Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InferenceException(InferenceErrorKind.Internal, $"Unable to open shared memory region: '{key}': {e.Message}");
        }
        if (byteSize == 0 || offset > (ulong)size || byteSize > (ulong)size - offset)
        {
            throw new InferenceException(InferenceErrorKind.InvalidArgument,
                $"failed to register shared memory region '{name}': invalid args: offset {offset} and byte_size {byteSize} must lie inside '{key}', which has {size} bytes (and byte_size must be at least 1)");
        }
        MemoryMappedFile? file = null;
        try
        {
            file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite);
            var view = file.CreateViewAccessor((long)offset, (long)byteSize, MemoryMappedFileAccess.ReadWrite);
            return new SystemSharedMemoryRegion(name, key, (long)offset, (long)byteSize, file, view);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            file?.Dispose();
            throw new InferenceException(InferenceErrorKind.InvalidArgument, $"failed to register shared memory region '{name}': unable to map '{key}': {e.Message}");
        }
    }

    /// <summary>"/name" → /dev/shm/name; null for anything shm_open would refuse or that could leave the folder.</summary>
    private static string? PathOf(string key)
    {
        if (key.Length < 2 || key[0] != '/' || key.IndexOf('/', 1) >= 0 || key.IndexOf('\0') >= 0) return null;
        var name = key[1..];
        return name is "." or ".." ? null : Path.Combine(ShmFolder, name);
    }

    /// <summary>A new user of the mapping; false once the mapping is gone (the region was unregistered and released).</summary>
    public bool TryAddUser()
    {
        while (true)
        {
            var n = Volatile.Read(ref _users);
            if (n == 0) return false;
            if (Interlocked.CompareExchange(ref _users, n + 1, n) == n) return true;
        }
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _users) != 0) return;
        _view.Dispose();
        _file.Dispose();
    }

    /// <summary>Unregistered: users still holding it see <see cref="IsRevoked"/>; the registry's reference is dropped.</summary>
    public void Revoke()
    {
        if (Interlocked.Exchange(ref _revoked, 1) == 0) Release();
    }

    /// <summary>Copies <paramref name="count"/> bytes from <paramref name="offset"/> (inside the region; checked by the caller) into a new array.</summary>
    public byte[] Read(long offset, int count)
    {
        var bytes = new byte[count];
        _view.ReadArray(offset, bytes, 0, count);
        return bytes;
    }

    /// <summary>Writes <paramref name="data"/> at <paramref name="offset"/> (inside the region; checked by the caller).</summary>
    public unsafe void Write(long offset, ReadOnlySpan<byte> data)
    {
        byte* p = null;
        var handle = _view.SafeMemoryMappedViewHandle;
        handle.AcquirePointer(ref p);
        try
        {
            data.CopyTo(new Span<byte>(p + _view.PointerOffset + offset, data.Length));
        }
        finally
        {
            handle.ReleasePointer();
        }
    }
}
