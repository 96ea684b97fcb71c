using OvStateful.Core.Sequences;
using OvStateful.Core.State;

namespace OvStateful.Core.Tests.State;

/// <summary>The saved-state record: complete records read back exactly; torn or damaged ones never read as a state.</summary>
public class StateRecordTests
{
    private static readonly StateRecordLayout Layout = new(keyCapacity: 16, stateBytes: 13);

    private static byte[] Written(long stamp, SequenceId id, long steps, byte fill)
    {
        var record = new byte[Layout.Size];
        StateRecordLayout.Begin(record, stamp);
        Layout.State(record).Fill(fill);
        Assert.True(Layout.Seal(record, stamp, id, steps));
        return record;
    }

    [Theory]
    [InlineData(7UL, null)]
    [InlineData(0UL, "client-7")]
    public void A_sealed_record_reads_back_its_id_steps_and_state(ulong number, string? text)
    {
        var id = text is null ? new SequenceId(number) : new SequenceId(text);
        var record = Written(42, id, 9, 0xAB);
        Assert.True(Layout.TryRead(record, out var stamp, out var read, out var steps));
        Assert.Equal((42L, id, 9L), (stamp, read, steps));
        Assert.All(Layout.State(record).ToArray(), b => Assert.Equal(0xAB, b));
        Assert.Equal(0, Layout.Size % 8);
    }

    [Fact]
    public void Every_single_byte_change_or_an_unfinished_write_makes_the_record_unreadable()
    {
        var good = Written(42, new SequenceId(7), 9, 0x11);
        for (var i = 0; i < good.Length; i++)
        {
            var torn = (byte[])good.Clone();
            torn[i] ^= 0x40;
            Assert.False(Layout.TryRead(torn, out _, out _, out _), $"a change at byte {i} went unnoticed");
        }
        // A rewrite that stopped after its first stamp (the crash came mid-copy): incomplete.
        var rewriting = (byte[])good.Clone();
        StateRecordLayout.Begin(rewriting, 43);
        Assert.False(Layout.TryRead(rewriting, out _, out _, out _));
        // Freed.
        StateRecordLayout.Invalidate(good);
        Assert.False(Layout.TryRead(good, out _, out _, out _));
    }

    [Fact]
    public void An_empty_record_has_no_id_and_a_too_long_string_id_is_refused()
    {
        var empty = Written(5, default, 3, 0x77);
        Assert.True(Layout.TryRead(empty, out _, out var id, out var steps));
        Assert.True(id.IsNone);
        Assert.Equal(0, steps);
        Assert.All(Layout.State(empty).ToArray(), b => Assert.Equal(0, b));

        var record = new byte[Layout.Size];
        StateRecordLayout.Begin(record, 6);
        Assert.False(Layout.Seal(record, 6, new SequenceId(new string('x', 17)), 1));
        Assert.False(Layout.CanHold(new SequenceId(new string('x', 17))));
        Assert.True(Layout.CanHold(new SequenceId(new string('x', 16))));
        Assert.False(Layout.TryRead(record, out _, out _, out _));
    }

    [Fact]
    public void A_journal_slot_keeps_its_last_complete_copy_when_the_newest_is_torn()
    {
        var layout = new StateRecordLayout(0, 8);
        using var memory = new NativeStateMemory(SlotJournal.Bytes(layout, 2));
        var journal = new SlotJournal(memory, layout, 2);
        for (long stamp = 1; stamp <= 3; stamp++) journal.Write(1, stamp, new SequenceId(9), stamp, BitConverter.GetBytes(stamp * 100));
        var saved = Assert.Single(SlotJournal.Scan(memory, layout, 2));
        Assert.Equal((3L, new SequenceId(9), 3L), (saved.Stamp, saved.Id, saved.Steps));

        // Step 4's write is cut short after its first stamp: step 3's copy is what comes back.
        journal.BeginWrite(1, 4).Fill(0xFF);
        saved = Assert.Single(SlotJournal.Scan(memory, layout, 2));
        Assert.Equal(3L, saved.Stamp);
        Assert.Equal(300L, BitConverter.ToInt64(layout.State(memory.Slice(saved.Offset, layout.Size))));

        // The sequence leaves the slot: nothing comes back.
        journal.Clear(1, 5);
        Assert.Empty(SlotJournal.Scan(memory, layout, 2));
    }
}
