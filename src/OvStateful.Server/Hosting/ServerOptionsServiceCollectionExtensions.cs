using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace OvStateful.Server.Hosting;

/// <summary>The options pattern for hosts that embed the server in their own container.</summary>
public static class ServerOptionsServiceCollectionExtensions
{
    /// <summary>
    /// Binds <see cref="ServerOptions"/> to the "Server" section and checks it with
    /// <see cref="ServerOptionsValidator"/> when first read (and at host start).
    /// </summary>
    public static OptionsBuilder<ServerOptions> AddServerOptions(this IServiceCollection services, IConfiguration configuration, bool requireRepository = true)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ServerOptions>>(new ServerOptionsValidator(requireRepository)));
        return services.AddOptions<ServerOptions>().Bind(configuration.GetSection(ServerOptions.SectionName)).ValidateOnStart();
    }
}
