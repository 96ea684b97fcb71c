using System.Runtime.InteropServices;
using OvStateful.Core.Engines;
using OvStateful.Core.State;
using OvStateful.Core.Tensors;

namespace OvStateful.OpenVino.Tests;

/// <summary>
/// The host-side half of batched mode's set_state/get_state, as BatchedStateMode drives the
/// shared store: slots gathered along a batch axis that is not 0 (Silero's [2, B, 128], here
/// [2, B, 3]) into the tensor handed to set_state, and the tensor read back by get_state
/// scattered to the slots.
/// </summary>
public class StateMovementTests
{
    private static readonly StateSpec Silero = new("state", "stateN", DataType.Fp32, [2, -1, 3], 1);

    private static float[] Row(float tag) => [tag, tag + 0.1f, tag + 0.2f, -tag, -tag - 0.1f, -tag - 0.2f];

    [Fact]
    public void A_batch_tensor_interleaves_slots_along_axis_1_and_start_rows_read_the_initial_state()
    {
        var initial = MemoryMarshal.AsBytes(Row(9).AsSpan()).ToArray();
        var arena = new HostStateArena([Silero], 4, [initial]);
        MemoryMarshal.AsBytes(Row(3).AsSpan()).CopyTo(arena.WritableRow(0, 3));
        MemoryMarshal.AsBytes(Row(1).AsSpan()).CopyTo(arena.WritableRow(0, 1));

        // Batch of 3: slot 3 continues, slot 1 starts over, slot 0 continues from its (initial) row.
        var tensor = new byte[3 * Silero.SlotBytes];
        arena.Gather(0, [3, 1, 0], [false, true, false], tensor, 3);

        var f = MemoryMarshal.Cast<byte, float>(tensor).ToArray();
        // [2, 3, 3]: outer block 0 holds each slot's first half, block 1 the second half.
        Assert.Equal(new float[] { 3, 3.1f, 3.2f, 9, 9.1f, 9.2f, 9, 9.1f, 9.2f, -3, -3.1f, -3.2f, -9, -9.1f, -9.2f, -9, -9.1f, -9.2f }, f);
    }

    [Fact]
    public void New_states_reach_only_the_batch_slots_and_only_when_scattered()
    {
        var arena = new HostStateArena([Silero], 4);
        var fromGetState = new float[] { 5, 5, 5, 7, 7, 7, -5, -5, -5, -7, -7, -7 }; // [2, 2, 3]: slots 2 and 0
        var before = arena.Export(2);

        // Until the run succeeded nothing is written (BatchedStateMode scatters last).
        Assert.True(before.States[0].Data.Span.SequenceEqual(arena.Export(2).States[0].Data.Span));
        arena.Scatter(0, [2, 0], MemoryMarshal.AsBytes(fromGetState.AsSpan()), 2);

        Assert.Equal(new float[] { 5, 5, 5, -5, -5, -5 }, MemoryMarshal.Cast<byte, float>(arena.Row(0, 2)).ToArray());
        Assert.Equal(new float[] { 7, 7, 7, -7, -7, -7 }, MemoryMarshal.Cast<byte, float>(arena.Row(0, 0)).ToArray());
        Assert.All(MemoryMarshal.Cast<byte, float>(arena.Row(0, 1)).ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(new long[] { 2, 1, 3 }, arena.Export(2).States[0].Shape);
    }
}
