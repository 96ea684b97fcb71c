namespace OvStateful.Protocol.Inference;

/// <summary>
/// A request message a server parses into again and again (a stream's requests): cleared, it
/// equals a new message, and its collections keep their storage for the next merge.
/// </summary>
public sealed partial class ModelInferRequest
{
    /// <summary>Sets every field back to its default, unknown fields included (ModelInferRequestReuseTests checks every field of the descriptor).</summary>
    public void Clear()
    {
        modelName_ = "";
        modelVersion_ = "";
        id_ = "";
        parameters_.Clear();
        inputs_.Clear();
        outputs_.Clear();
        rawInputContents_.Clear();
        _unknownFields = null;
    }
}
