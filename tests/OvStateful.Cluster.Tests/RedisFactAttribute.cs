namespace OvStateful.Cluster.Tests;

/// <summary>A test that needs Debian's redis-server (.ci/run installs it); skipped with the reason where it is missing.</summary>
public sealed class RedisFactAttribute : FactAttribute
{
    public RedisFactAttribute()
    {
        if (!File.Exists("/usr/bin/redis-server") && !File.Exists("/usr/local/bin/redis-server"))
            Skip = "redis-server is not installed (apt-get install redis-server; .ci/run installs it)";
    }
}
