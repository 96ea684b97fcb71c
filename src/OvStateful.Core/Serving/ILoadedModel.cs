namespace OvStateful.Core.Serving;

/// <summary>A model version the registry loaded and owns: served, drained on unload, then disposed.</summary>
public interface ILoadedModel : IServedModel, IAsyncDisposable
{
    /// <summary>Stops taking requests (not ready), lets those already taken finish for at most <paramref name="timeout"/>, then stops.</summary>
    Task DrainAsync(TimeSpan timeout);
}
