namespace OvStateful.Core.Engines;

/// <summary>The sequence controls of one step, as Triton's sequence batcher sets them.</summary>
[Flags]
public enum StepFlags : byte
{
    None = 0,
    /// <summary>First step of a sequence: the slot's state is reset to the initial state before this step.</summary>
    Start = 1,
    /// <summary>Last step: the slot is released after this step.</summary>
    End = 2,
    /// <summary>The slot holds a live step in this batch (always set for real entries; padding rows have it clear).</summary>
    Ready = 4,
}
