using OvStateful.Core.Engines;

namespace OvStateful.OpenVino.Interop;

/// <summary>A shim call failed; <see cref="Status"/> is its code, the message names the call and carries OpenVINO's text.</summary>
public sealed class OpenVinoException : EngineException
{
    internal OpenVinoException(string message, int status) : base(message) => Status = status;

    /// <summary>The shim's ovs_status value (see native/include/ovs_shim.h).</summary>
    public int Status { get; }
}
