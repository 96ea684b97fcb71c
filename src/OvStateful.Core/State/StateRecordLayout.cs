using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Text;
using OvStateful.Core.Sequences;

namespace OvStateful.Core.State;

/// <summary>
/// One saved sequence state, as slot journals and the spill arena keep it (little-endian):
/// <code>
///   0  u64 stamp (written first)     8  u64 numeric id (0 for a string id or an empty record)
///  16  u64 steps applied            24  u32 string id bytes (0 = numeric id)
///  28  u32 CRC-32C of the rest      32  string id (KeyCapacity bytes), then the state bytes
///  end u64 stamp again (written last)
/// </code>
/// A writer stores the new stamp at the front, then the state and header, then the stamp at
/// the end; a record is complete only when both stamps agree and the checksum holds, so a
/// write torn by a crash (the process's, or the machine's at any page) is never read as a
/// state. Empty records (an ended sequence's tombstone) carry no id and no state.
/// </summary>
public readonly record struct StateRecordLayout
{
    private const int StampOffset = 0, NumberOffset = 8, StepsOffset = 16, KeyLengthOffset = 24, CrcOffset = 28, HeaderBytes = 32;

    /// <param name="keyCapacity">Bytes reserved for a string id (0 for models that take only uint64 ids).</param>
    /// <param name="stateBytes">Bytes of one slot's states (<see cref="Engines.SlotStateBytes.Total"/>).</param>
    public StateRecordLayout(int keyCapacity, int stateBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keyCapacity);
        ArgumentOutOfRangeException.ThrowIfNegative(stateBytes);
        KeyCapacity = keyCapacity;
        StateBytes = stateBytes;
        StateOffset = HeaderBytes + keyCapacity;
        EndStampOffset = checked((StateOffset + stateBytes + 7) & ~7);
        Size = EndStampOffset + 8;
    }

    /// <summary>String ids up to this many UTF-8 bytes are kept (models that take string ids: 64).</summary>
    public int KeyCapacity { get; }
    public int StateBytes { get; }
    public int StateOffset { get; }
    private int EndStampOffset { get; }
    /// <summary>Bytes of one record (a multiple of 8).</summary>
    public int Size { get; }

    /// <summary>The bytes of the state inside a record, where an engine copies it.</summary>
    public Span<byte> State(Span<byte> record) => record.Slice(StateOffset, StateBytes);

    /// <summary>Whether <paramref name="id"/> fits a record of this layout.</summary>
    public bool CanHold(SequenceId id) => !id.IsString || Encoding.UTF8.GetByteCount(id.Text!) <= KeyCapacity;

    /// <summary>Marks the record as being rewritten: until <see cref="Seal"/>, it reads as incomplete.</summary>
    public static void Begin(Span<byte> record, long stamp) => Store(record, StampOffset, (ulong)stamp);

    /// <summary>
    /// Completes a record whose state bytes are in place: header, checksum, then the closing
    /// stamp (a release store, so it lands after everything before it). <paramref name="id"/>
    /// none makes an empty record. False when a string id does not fit (the record is left incomplete).
    /// </summary>
    public bool Seal(Span<byte> record, long stamp, SequenceId id, long steps)
    {
        var keyLength = 0;
        if (id.IsString && !id.IsNone)
        {
            var key = record.Slice(HeaderBytes, KeyCapacity);
            if (!Encoding.UTF8.TryGetBytes(id.Text!, key, out keyLength)) return false;
            key[keyLength..].Clear();
        }
        else if (KeyCapacity > 0)
        {
            record.Slice(HeaderBytes, KeyCapacity).Clear();
        }
        var empty = id.IsNone;
        if (empty) State(record).Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(record[NumberOffset..], id.IsString ? 0 : id.Number);
        BinaryPrimitives.WriteInt64LittleEndian(record[StepsOffset..], empty ? 0 : steps);
        BinaryPrimitives.WriteInt32LittleEndian(record[KeyLengthOffset..], keyLength);
        record.Slice(StateOffset + StateBytes, EndStampOffset - StateOffset - StateBytes).Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(record[CrcOffset..], Checksum(record, stamp));
        Store(record, EndStampOffset, (ulong)stamp);
        return true;
    }

    /// <summary>
    /// Reads a record's header when it is complete (stamps agree, nonzero, checksum holds).
    /// <paramref name="id"/> is none for an empty record.
    /// </summary>
    public bool TryRead(ReadOnlySpan<byte> record, out long stamp, out SequenceId id, out long steps)
    {
        stamp = (long)BinaryPrimitives.ReadUInt64LittleEndian(record);
        id = default;
        steps = 0;
        if (stamp == 0 || (long)BinaryPrimitives.ReadUInt64LittleEndian(record[EndStampOffset..]) != stamp) return false;
        if (BinaryPrimitives.ReadUInt32LittleEndian(record[CrcOffset..]) != Checksum(record, stamp)) return false;
        var keyLength = BinaryPrimitives.ReadInt32LittleEndian(record[KeyLengthOffset..]);
        if (keyLength < 0 || keyLength > KeyCapacity) return false;
        var number = BinaryPrimitives.ReadUInt64LittleEndian(record[NumberOffset..]);
        id = keyLength > 0 ? new SequenceId(Encoding.UTF8.GetString(record.Slice(HeaderBytes, keyLength))) : new SequenceId(number);
        steps = BinaryPrimitives.ReadInt64LittleEndian(record[StepsOffset..]);
        return true;
    }

    /// <summary>The stamp at the front of a record (0 = never written or freed).</summary>
    public static long StampOf(ReadOnlySpan<byte> record) => (long)BinaryPrimitives.ReadUInt64LittleEndian(record);

    /// <summary>Makes a record read as incomplete (a freed spill record): one aligned 8-byte store.</summary>
    public static void Invalidate(Span<byte> record) => Store(record, StampOffset, 0);

    // CRC-32C (hardware on x64/arm64) over the stamp, the header after it (but the CRC) and the key and state.
    private uint Checksum(ReadOnlySpan<byte> record, long stamp)
    {
        var crc = BitOperations.Crc32C(~0u, (ulong)stamp);
        crc = Crc(crc, record[NumberOffset..CrcOffset]);
        crc = Crc(crc, record[HeaderBytes..EndStampOffset]);
        return ~crc;
    }

    private static uint Crc(uint crc, ReadOnlySpan<byte> bytes)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(bytes);
        foreach (var w in words) crc = BitOperations.Crc32C(crc, w);
        for (var i = words.Length * 8; i < bytes.Length; i++) crc = BitOperations.Crc32C(crc, bytes[i]);
        return crc;
    }

    private static void Store(Span<byte> record, int offset, ulong value)
    {
        // Aligned (records and offsets are multiples of 8 in 8-aligned memory): one store, never torn.
        ref var slot = ref MemoryMarshal.Cast<byte, ulong>(record.Slice(offset, 8))[0];
        Volatile.Write(ref slot, BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value));
    }
}
