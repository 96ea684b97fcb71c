using System.Runtime.InteropServices;
using OvStateful.Core.Engines;
using OvStateful.Core.State;
using OvStateful.Core.Tensors;

namespace OvStateful.Core.Tests.State;

public class HostStateArenaTests
{
    private static readonly StateSpec Silero = new("state", "stateN", DataType.Fp32, [2, -1, 128], 1);
    private static readonly StateSpec Counter = new("count", "count_out", DataType.Int64, [-1, 1], 0);

    [Fact]
    public void Gather_then_scatter_moves_each_slot_to_its_row_and_back()
    {
        var arena = new HostStateArena([Silero], 8);
        for (var slot = 0; slot < 8; slot++) MemoryMarshal.Cast<byte, float>(arena.WritableRow(0, slot)).Fill(slot);
        int[] slots = [6, 1, 3];
        var batch = new byte[Silero.SlotBytes * 3];
        arena.Gather(0, slots, [false, false, false], batch, 3);
        var f = MemoryMarshal.Cast<byte, float>(batch.AsSpan());
        for (var o = 0; o < 2; o++) for (var b = 0; b < 3; b++) Assert.Equal(slots[b], f[(o * 3 + b) * 128]);

        for (var i = 0; i < f.Length; i++) f[i] += 100;
        arena.Scatter(0, slots, batch, 3);
        Assert.All(MemoryMarshal.Cast<byte, float>(arena.Row(0, 6)).ToArray(), v => Assert.Equal(106f, v));
        Assert.All(MemoryMarshal.Cast<byte, float>(arena.Row(0, 2)).ToArray(), v => Assert.Equal(2f, v)); // untouched
    }

    [Fact]
    public void Start_rows_and_padding_come_from_the_initial_state()
    {
        var init = MemoryMarshal.AsBytes(new long[] { 100 }.AsSpan()).ToArray();
        var arena = new HostStateArena([Counter], 4, [init]);
        MemoryMarshal.Cast<byte, long>(arena.WritableRow(0, 2))[0] = 7;
        var batch = new byte[8 * 4];
        arena.Gather(0, [2, 2], [false, true], batch, 4);
        Assert.Equal(new long[] { 7, 100, 100, 100 }, MemoryMarshal.Cast<byte, long>(batch).ToArray());
        arena.Reset(2);
        Assert.Equal(100, MemoryMarshal.Cast<byte, long>(arena.Row(0, 2))[0]);
    }

    [Fact]
    public void Chunks_are_reserved_as_slots_are_first_written()
    {
        var arena = new HostStateArena([Counter], 10, growth: new ArenaGrowth(InitialSlots: 4, SubsequentSlots: 3));
        Assert.Equal(0, arena.ReservedBytes);
        arena.WritableRow(0, 1);
        Assert.Equal(4 * 8, arena.ReservedBytes);
        arena.WritableRow(0, 9); // last chunk holds slots 7..9
        Assert.Equal((4 + 3) * 8, arena.ReservedBytes);
        arena.WritableRow(0, 5);
        Assert.Equal((4 + 3 + 3) * 8, arena.ReservedBytes);
    }

    [Fact]
    public void Contiguous_slots_of_an_axis_0_state_are_bound_in_place()
    {
        var arena = new HostStateArena([Counter, Silero], 6, growth: new ArenaGrowth(4, 2));
        arena.WritableRow(0, 0);
        Assert.True(arena.TryGetContiguous(0, 1, 3, out var rows));
        Assert.Equal(3 * 8, rows.Length);
        Assert.False(arena.TryGetContiguous(0, 3, 2, out _));  // spans two chunks
        Assert.False(arena.TryGetContiguous(1, 0, 2, out _));  // batch axis 1: rows interleave
    }

    [Fact]
    public void Import_checks_the_whole_snapshot_before_writing()
    {
        var arena = new HostStateArena([Counter, Silero], 2);
        MemoryMarshal.Cast<byte, long>(arena.WritableRow(0, 0))[0] = 5;
        var good = arena.Export(0);
        var bad = new SlotSnapshot([good.States[0] with { Data = new byte[8] { 9, 0, 0, 0, 0, 0, 0, 0 } }, good.States[1] with { Data = new byte[3] }]);
        var e = Assert.Throws<ArgumentException>(() => arena.Import(0, bad));
        Assert.Contains("state", e.Message);
        Assert.Equal(5, MemoryMarshal.Cast<byte, long>(arena.Row(0, 0))[0]);
    }
}

public class HostStateArenaFp16Tests
{
    private static readonly StateSpec Silero = new("state", "stateN", DataType.Fp32, [2, -1, 128], 1);

    [Fact]
    public void Fp32_states_stored_as_fp16_take_half_the_memory_and_round_to_half()
    {
        var full = new HostStateArena([Silero], 4);
        var half = new HostStateArena([Silero], 4, storeFp32AsFp16: true);
        full.WritableRow(0, 0);
        half.WritableRow(0, 0);
        Assert.Equal(full.ReservedBytes / 2, half.ReservedBytes);
        Assert.True(half.StoredAsFp16(0));

        var batch = new float[2 * 3 * 128];
        for (var i = 0; i < batch.Length; i++) batch[i] = 0.1f * i + 1f / 3;
        half.Scatter(0, [2, 0, 3], MemoryMarshal.AsBytes(batch.AsSpan()), 3);
        var back = new float[batch.Length];
        half.Gather(0, [2, 0, 3], [false, false, false], MemoryMarshal.AsBytes(back.AsSpan()), 3);
        for (var i = 0; i < batch.Length; i++) Assert.Equal((float)(Half)batch[i], back[i]);

        var snapshot = half.Export(0);
        Assert.Equal(DataType.Fp32, snapshot.States[0].DataType);
        Assert.Equal(Silero.SlotBytes, snapshot.States[0].Data.Length);
        half.Import(1, snapshot);
        Assert.True(half.Export(1).States[0].Data.Span.SequenceEqual(snapshot.States[0].Data.Span));
        Assert.False(half.TryGetContiguous(0, 0, 2, out _));
    }
}
