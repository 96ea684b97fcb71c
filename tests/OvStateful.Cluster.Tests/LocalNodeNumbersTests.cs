using OvStateful.Cluster.Node;

namespace OvStateful.Cluster.Tests;

/// <summary>Localhost nodes number themselves through a file under a lock: never one number twice, however many start at once.</summary>
public sealed class LocalNodeNumbersTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("ovs-node-numbers-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Nodes_starting_together_get_distinct_numbers_counting_from_one()
    {
        var numbers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
            Enumerable.Range(0, 25).Select(_ => LocalNodeNumbers.Next("c1", _folder)).ToArray())));

        var all = numbers.SelectMany(n => n).Order().ToArray();
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), all);
        Assert.Equal(1, LocalNodeNumbers.Next("another cluster", _folder));
        Assert.Equal(201, LocalNodeNumbers.Next("c1", _folder));
    }

    [Fact]
    public void A_damaged_file_is_one_clear_error_naming_it()
    {
        File.WriteAllBytes(LocalNodeNumbers.PathFor("c2", _folder), [1, 2, 3]);
        var e = Assert.Throws<InvalidDataException>(() => LocalNodeNumbers.Next("c2", _folder));
        Assert.Contains("holds 3 bytes; 8 expected", e.Message);
    }
}
