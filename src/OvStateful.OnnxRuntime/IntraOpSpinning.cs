namespace OvStateful.OnnxRuntime;

/// <summary>When ONNX Runtime's idle intra-op threads busy-wait for work instead of sleeping.</summary>
public enum IntraOpSpinning
{
    /// <summary>ORT's default: they spin between the parallel sections of a run and for a while after it.</summary>
    Always,
    /// <summary>
    /// They spin inside a run (fast hand-offs between its many small parallel sections) and stop
    /// the moment the run returns (session.force_spinning_stop): between batches the cores are
    /// free for a server's network threads and co-located clients.
    /// </summary>
    DuringRun,
    /// <summary>They never spin (session.intra_op.allow_spinning 0): every hand-off is a futex wake-up.</summary>
    Never,
}
