using System.Buffers.Binary;

namespace OvStateful.Cluster.Node;

/// <summary>
/// Node numbers for `--cluster localhost` (every node on one host): a counter in a file in the
/// temp folder, read and advanced under an exclusive lock. Localhost clustering's in-cluster
/// grain directory can briefly hold two activations of one grain while a node joins, and its
/// memory storage forgets everything when the nodes stop, so the node-number grain could hand
/// one number to two nodes (seen in CI: two nodes issuing the same sequence ids); the file
/// cannot, and it keeps counting across restarts of every node.
/// </summary>
internal static class LocalNodeNumbers
{
    /// <summary>The next number for <paramref name="clusterId"/> on this host (1 first).</summary>
    public static long Next(string clusterId, string? folder = null)
    {
        var path = PathFor(clusterId, folder);
        var deadline = Environment.TickCount64 + 10_000;
        while (true)
        {
            try
            {
                // FileShare.None takes an exclusive advisory lock on Unix: other nodes, in this
                // process or another, wait in the loop below until it is released.
                using var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                Span<byte> last = stackalloc byte[8];
                var read = file.ReadAtLeast(last, last.Length, throwOnEndOfStream: false);
                if (read is not (0 or 8))
                    throw new InvalidDataException($"the node-number file {path} holds {read} bytes; 8 expected (delete it only when no node of cluster '{clusterId}' runs)");
                var next = (read == 0 ? 0 : BinaryPrimitives.ReadInt64LittleEndian(last)) + 1;
                BinaryPrimitives.WriteInt64LittleEndian(last, next);
                file.Position = 0;
                file.Write(last);
                file.Flush(flushToDisk: true);
                return next;
            }
            catch (IOException) when (Environment.TickCount64 < deadline)
            {
                Thread.Sleep(5); // held by another node starting now
            }
        }
    }

    internal static string PathFor(string clusterId, string? folder)
    {
        var safe = string.Concat(clusterId.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        return Path.Combine(folder ?? Path.GetTempPath(), $"ovs-cluster-{safe}.node-number");
    }
}
