using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using OvStateful.Server.Hosting;

namespace OvStateful.Server.Tests;

/// <summary>
/// The guarded transport hands connections Kestrel's pinned-block pool. It sets an internal
/// property of ASP.NET Core's options, so an ASP.NET Core update that renames it must fail here
/// rather than silently bring back the allocating default pool.
/// </summary>
public sealed class TransportMemoryPoolTests
{
    [Fact]
    public void Connections_take_the_hosts_pool_factory()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        using var app = builder.Build();
        var pool = app.Services.GetRequiredService<IMemoryPoolFactory<byte>>();
        var transport = new GuardedSocketTransport(new ConnectionGate(8, NullLogger.Instance), NullLogger.Instance);

        transport.UseMemoryPool(pool);
        var options = transport.ConnectionOptions();

        var used = options.GetType().GetProperty("MemoryPoolFactory", BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)!.GetValue(options);
        Assert.Same(pool, used);
    }
}
