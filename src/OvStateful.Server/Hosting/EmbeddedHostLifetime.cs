using Microsoft.Extensions.Hosting;

namespace OvStateful.Server.Hosting;

/// <summary>
/// Replaces the generic host's console lifetime, which would take over SIGINT/SIGTERM: the
/// server is embedded (CLI, tests, other hosts), and whoever owns the process decides when
/// <see cref="OvsServer.StopAsync"/> runs.
/// </summary>
internal sealed class EmbeddedHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
