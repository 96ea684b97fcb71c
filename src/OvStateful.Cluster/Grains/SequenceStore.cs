using System.Collections.Concurrent;
using System.Threading.Channels;
using Orleans.Serialization;
using StackExchange.Redis;

namespace OvStateful.Cluster.Grains;

/// <summary>
/// Where <c>--cluster-persist</c> keeps each live sequence's <see cref="SequenceRecord"/> (the
/// state after its last acknowledged step). A write completes once the record is stored; the
/// step is answered after that (acknowledged means durable).
/// </summary>
internal interface ISequenceStore : IAsyncDisposable
{
    Task WriteAsync(string key, SequenceRecord record);
    Task<SequenceRecord?> ReadAsync(string key);
    Task DeleteAsync(string key);
    /// <summary>Records written, and the Redis round trips (batches) they took: written ÷ batches is the group size.</summary>
    (long Written, long Batches) Counts { get; }
}

/// <summary>
/// Group commit on Redis: writes that arrive while a batch is on its way queue up and go out
/// together as the next batch (one StackExchange.Redis batch: the SETs leave in one write and
/// Redis answers them back to back), and each waiting step is answered when its batch is
/// stored. The steps of one model batch finish together, so their writes share a round trip
/// instead of one each. Records are Orleans's binary serialization (bit-exact states), under
/// <c>{clusterId}/sequence/{grain key}</c>.
/// </summary>
internal sealed class RedisSequenceStore : ISequenceStore
{
    /// <summary>Most records in one batch; more wait for the next.</summary>
    private const int MaxBatch = 1024;
    private readonly ConnectionMultiplexer _redis;
    private readonly IDatabase _db;
    private readonly string _prefix;
    private readonly Serializer _serializer;
    // Unbounded: every entry is a step whose answer waits for it, so the clients bound it.
    private readonly Channel<PendingWrite> _queue = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;
    // Interlocked: records stored, and the batches (Redis round trips) that carried the writes.
    private long _written, _batches;

    private RedisSequenceStore(ConnectionMultiplexer redis, string clusterId, Serializer serializer)
    {
        _redis = redis;
        _db = redis.GetDatabase();
        _prefix = clusterId + "/sequence/";
        _serializer = serializer;
        _writer = Task.Run(WriteLoopAsync);
    }

    public static async Task<RedisSequenceStore> ConnectAsync(string redis, string clusterId, Serializer serializer) =>
        new(await ConnectionMultiplexer.ConnectAsync(ConfigurationOptions.Parse(redis)).ConfigureAwait(false), clusterId, serializer);

    public (long Written, long Batches) Counts => (Interlocked.Read(ref _written), Interlocked.Read(ref _batches));

    public Task WriteAsync(string key, SequenceRecord record)
    {
        var write = new PendingWrite(_prefix + key, _serializer.SerializeToArray(record));
        if (!_queue.Writer.TryWrite(write)) throw new InvalidOperationException("the sequence store is closed");
        return write.Stored.Task;
    }

    public async Task<SequenceRecord?> ReadAsync(string key)
    {
        var value = await _db.StringGetAsync(_prefix + key).ConfigureAwait(false);
        return value.IsNull ? null : _serializer.Deserialize<SequenceRecord>((byte[])value!);
    }

    public Task DeleteAsync(string key) => _db.KeyDeleteAsync(_prefix + key);

    private async Task WriteLoopAsync()
    {
        var group = new List<PendingWrite>(MaxBatch);
        var sets = new List<Task>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (group.Count < MaxBatch && _queue.Reader.TryRead(out var w)) group.Add(w);
            Exception? failed = null;
            try
            {
                var batch = _db.CreateBatch();
                foreach (var w in group) sets.Add(batch.StringSetAsync(w.Key, w.Value));
                batch.Execute();
                await Task.WhenAll(sets).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Each write answers for itself below; the loop goes on with the next group.
                failed = e;
            }
            var stored = 0;
            for (var i = 0; i < group.Count; i++)
            {
                if (i < sets.Count && sets[i].IsCompletedSuccessfully)
                {
                    group[i].Stored.TrySetResult();
                    stored++;
                }
                else
                {
                    group[i].Stored.TrySetException(i < sets.Count && sets[i].Exception is { } e ? e.InnerException ?? e : failed ?? new InvalidOperationException("the Redis write did not complete"));
                }
            }
            Interlocked.Add(ref _written, stored);
            Interlocked.Increment(ref _batches);
            group.Clear();
            sets.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        await _redis.DisposeAsync().ConfigureAwait(false);
    }

    private sealed record PendingWrite(string Key, byte[] Value)
    {
        public TaskCompletionSource Stored { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>
/// <c>--cluster localhost --cluster-persist</c> (development, one host): the records in this
/// process, shared by the nodes of one cluster id that run in it; nothing survives the process.
/// </summary>
internal sealed class MemorySequenceStore(string clusterId) : ISequenceStore
{
    private static readonly ConcurrentDictionary<string, SequenceRecord> s_records = new(StringComparer.Ordinal);
    private readonly string _prefix = clusterId + "/sequence/";
    private long _written;

    public (long Written, long Batches) Counts => (Interlocked.Read(ref _written), Interlocked.Read(ref _written));

    public Task WriteAsync(string key, SequenceRecord record)
    {
        s_records[_prefix + key] = record;
        Interlocked.Increment(ref _written);
        return Task.CompletedTask;
    }

    public Task<SequenceRecord?> ReadAsync(string key) => Task.FromResult(s_records.GetValueOrDefault(_prefix + key));

    public Task DeleteAsync(string key)
    {
        s_records.TryRemove(_prefix + key, out _);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
