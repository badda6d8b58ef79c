using System.Text.Json.Nodes;

namespace AlignLab.Cluster.Tests;

/// <summary><c>alignlab sweep ... --cluster URL</c>: the runs train on the cluster's workers and the table is the one a local sweep prints.</summary>
public sealed class SweepCommandTests : IDisposable
{
    private readonly Postgres _postgres = new();
    private readonly WorkerProcesses _workers = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("alignlab-sweep-").FullName;

    public void Dispose()
    {
        _workers.Dispose();
        _postgres.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void ASweepSubmittedToTheClusterPrintsTheTableOfTheSameSweepRunLocally()
    {
        var url = Postgres.Url(_postgres.CreateDatabase());
        _workers.Start(url, "one");
        string[] sweep = ["sweep", "CheeseInTheCorner-v0", "--param", "corner_size=1,5", "--set", "size=5", "--agent", "q", "--steps", "2000", "--seeds", "2", "--json"];

        var (code, output, error) = Cli.Run([.. sweep, "--cluster", url]);
        Assert.True(code == 0, error);
        Assert.Contains("finished", error, StringComparison.Ordinal);
        var (localCode, local, localError) = Cli.Run([.. sweep, "--store", Path.Combine(_dir, "local.db")]);
        Assert.True(localCode == 0, localError);

        var rows = JsonNode.Parse(output)!["rows"]!.AsArray();
        Assert.Equal(2, rows.Count);
        Assert.Equal(JsonNode.Parse(local)!["rows"]!.ToJsonString(), rows.ToJsonString());
    }

    [Fact]
    public void TheClusterIsTheStoreSoAStoreBesideItIsRefused()
    {
        var (code, _, error) = Cli.Run("sweep", "CheeseInTheCorner-v0", "--param", "corner_size=1", "--cluster", "postgres://u:p@127.0.0.1:1/none", "--store", Path.Combine(_dir, "x.db"));
        Assert.Equal(2, code);
        Assert.Equal("error: --cluster's database is the sweep's run store; leave out --store.", error.Trim());
        Assert.False(File.Exists(Path.Combine(_dir, "x.db")));
    }
}
