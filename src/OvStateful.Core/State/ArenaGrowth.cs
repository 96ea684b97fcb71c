namespace OvStateful.Core.State;

/// <summary>
/// How a state arena reserves memory, after the Triton stateful backend's
/// initial_buffer_size / subsequent_buffer_size: the first chunk holds
/// <see cref="InitialSlots"/> slots and later chunks <see cref="SubsequentSlots"/>; a chunk is
/// allocated the first time one of its slots gets a state. Zero = all slots at once.
/// </summary>
public sealed record ArenaGrowth(int InitialSlots = 0, int SubsequentSlots = 0)
{
    public static ArenaGrowth AllAtOnce { get; } = new();
}
