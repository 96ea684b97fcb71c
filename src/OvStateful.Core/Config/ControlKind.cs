namespace OvStateful.Core.Config;

/// <summary>
/// The sequence controls the server feeds into a model (Triton's ModelSequenceBatching.Control.Kind):
/// what a planned control input carries at each step. Numbered as Triton numbers them.
/// </summary>
public enum ControlKind
{
    SequenceStart = 0,
    SequenceReady = 1,
    SequenceEnd = 2,
    SequenceCorrid = 3,
}
