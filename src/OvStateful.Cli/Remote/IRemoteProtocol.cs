using OvStateful.Cli.Workloads;

namespace OvStateful.Cli.Remote;

/// <summary>A way to talk to a running server: read a model's metadata, make one step client per sequence.</summary>
internal interface IRemoteProtocol : IAsyncDisposable
{
    /// <summary>"http (binary)", "grpc (stream)", ...</summary>
    string Name { get; }

    /// <summary>Throws <see cref="UsageException"/> when the server cannot be reached or does not serve the model (naming the ones it does).</summary>
    Task<RemoteModel> MetadataAsync(string model, CancellationToken cancellationToken);

    IStepClient CreateClient(RemoteModel model);
}
