using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace OvStateful.Core.State;

/// <summary>
/// A fixed block of memory that records live in: a memory-mapped file (durable: what the
/// process wrote survives its crash at once, the machine's crash after <see cref="Flush"/>)
/// or plain native memory (spill without durability). Page-aligned, zeroed when new. The
/// spans it hands out are valid until <see cref="Dispose"/>; only their owners write them.
/// </summary>
internal abstract unsafe class StateMemory : IDisposable
{
    // Invariant: _base points at Length bytes while not disposed; null after.
    protected byte* _base;
    // 1 when written since the last flush (set by writers, cleared by Flush): msync skips clean blocks.
    private int _dirty;

    public long Length { get; protected init; }

    public Span<byte> Slice(long offset, int length)
    {
        if (_base is null) throw new ObjectDisposedException(GetType().Name);
        if ((ulong)offset > (ulong)Length || (ulong)length > (ulong)(Length - offset))
            throw new ArgumentOutOfRangeException(nameof(offset), $"bytes {offset}..+{length} are outside the block of {Length}");
        return new Span<byte>(_base + offset, length);
    }

    /// <summary>Notes a write, so the next <see cref="Flush"/> writes this block back.</summary>
    public void MarkDirty()
    {
        if (Volatile.Read(ref _dirty) == 0) Volatile.Write(ref _dirty, 1);
    }

    /// <summary>Writes dirty pages to the disk and waits (msync); nothing for native memory.</summary>
    public void Flush()
    {
        if (Interlocked.Exchange(ref _dirty, 0) != 0) FlushCore();
    }

    protected abstract void FlushCore();

    public abstract void Dispose();
}

/// <summary>
/// A state file mapped shared and read-write; its disk space is reserved when it is created,
/// so writing it never meets a full disk. Holds no file descriptor: the file is closed once
/// mapped (the mapping stays), so a million spilled states cost the server no descriptors.
/// </summary>
internal sealed unsafe class MappedStateFile : StateMemory
{
    private readonly MemoryMappedViewAccessor _view;

    private MappedStateFile(MemoryMappedViewAccessor view, long length)
    {
        _view = view;
        Length = length;
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + view.PointerOffset;
    }

    public string Path { get; private init; } = "";

    /// <summary>Creates (replacing any old one) a zeroed file of <paramref name="length"/> bytes with its space allocated, and maps it.</summary>
    public static MappedStateFile Create(string path, long length)
    {
        var temp = path + ".new";
        File.Delete(temp);
        // preallocationSize makes the file system allocate the blocks (posix_fallocate): a full
        // disk fails here, as an IOException, not later as a SIGBUS on a write into the mapping.
        // (It reserves blocks without changing the length, which SetLength then sets over them.)
        using (var handle = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.None, preallocationSize: length))
        {
            RandomAccess.SetLength(handle, length);
        }
        File.Move(temp, path, overwrite: true);
        return Open(path, length);
    }

    /// <summary>Maps an existing file; it must be at least <paramref name="length"/> bytes.</summary>
    public static MappedStateFile Open(string path, long length)
    {
        SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        try
        {
            var actual = RandomAccess.GetLength(handle);
            if (actual < length) throw new InvalidDataException($"state file {path} has {actual} bytes; expected {length}");
            // Disposing the file (and with it the descriptor) leaves the view mapped.
            using var file = MemoryMappedFile.CreateFromFile(handle, null, length, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
            return new MappedStateFile(file.CreateViewAccessor(0, length, MemoryMappedFileAccess.ReadWrite), length) { Path = path };
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    protected override void FlushCore() => _view.Flush();

    public override void Dispose()
    {
        if (_base is null) return;
        Flush();
        _base = null;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
    }
}

/// <summary>Zeroed native memory (pages committed by the OS on first touch).</summary>
internal sealed unsafe class NativeStateMemory : StateMemory
{
    public NativeStateMemory(long length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        Length = length;
        _base = (byte*)NativeMemory.AllocZeroed((nuint)length);
    }

    protected override void FlushCore() { }

    public override void Dispose()
    {
        if (_base is null) return;
        NativeMemory.Free(_base);
        _base = null;
    }
}
