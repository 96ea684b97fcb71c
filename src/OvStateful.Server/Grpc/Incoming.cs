namespace OvStateful.Server.Grpc;

/// <summary>
/// One message read from a stream: the parsed message, or why its bytes did not parse. A
/// stream carries on after a malformed message (its frame was consumed whole), so the
/// failure is data for the handler, not an exception that would end the call.
/// </summary>
internal sealed class Incoming<T>(T? message, string? error) where T : class
{
    /// <summary>Null exactly when <see cref="Error"/> is set.</summary>
    public T? Message { get; } = message;

    /// <summary>"malformed protobuf …", or null when the message parsed.</summary>
    public string? Error { get; } = error;
}
