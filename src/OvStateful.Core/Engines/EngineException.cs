namespace OvStateful.Core.Engines;

/// <summary>An engine failed to load or to run a batch. Messages name the model and what failed.</summary>
public class EngineException : Exception
{
    public EngineException(string message) : base(message) { }
    public EngineException(string message, Exception? inner) : base(message, inner) { }
}

/// <summary>The engine's runtime (native library) is not present on this machine.</summary>
public sealed class EngineUnavailableException(string message) : EngineException(message);
