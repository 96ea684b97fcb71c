using OvStateful.Core.Engines;

namespace OvStateful.Core.Warmup;

/// <summary>A model_warmup sample could not be built or failed to run: the model does not turn READY, and this is its reason.</summary>
public sealed class ModelWarmupException(string message, Exception? inner = null) : EngineException(message, inner);
