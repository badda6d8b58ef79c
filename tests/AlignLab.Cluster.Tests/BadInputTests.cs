using AlignLab.Runs;

namespace AlignLab.Cluster.Tests;

/// <summary>
/// <c>--store postgres://...</c> works for the commands that take a store, and an unreachable store or cluster, a
/// wrong password, or a store from a newer AlignLab each get one clear line and exit 2, changing nothing stored.
/// </summary>
public sealed class BadInputTests : IDisposable
{
    private readonly Postgres _postgres = new();

    public void Dispose() => _postgres.Dispose();

    private static void OneLine(int code, string error, string expected)
    {
        Assert.True(code == 2, $"exit {code}: {error}");
        var line = Assert.Single(error.TrimEnd().Split('\n'));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", line, StringComparison.Ordinal);
    }

    [Fact]
    public void TrainAndRunsTakeAPostgresStore()
    {
        var database = _postgres.CreateDatabase();
        var (code, _, error) = Cli.Run("train", "CheeseInTheCorner-v0", "--agent", "q", "--set", "size=5", "--steps", "500", "--curve-points", "2", "--store", Postgres.Url(database));
        Assert.True(code == 0, error);
        (code, var output, error) = Cli.Run("runs", "list", "--store", database);
        Assert.True(code == 0, error);
        Assert.Contains("CheeseInTheCorner-v0", output, StringComparison.Ordinal);
        using var store = RunStore.OpenReadOnly(database);
        Assert.Equal(RunStatus.Finished, Assert.Single(store.ListRuns()).Status);
    }

    [Fact]
    public void AWrongPasswordOrAnUnreachableStoreOrClusterIsOneLineAndExit2()
    {
        var database = _postgres.CreateDatabase();
        var wrong = Postgres.Url(database, password: "not-the-password");
        var (code, _, error) = Cli.Run("runs", "list", "--store", wrong);
        OneLine(code, error, "refused the login of user 'alignlab'");
        Assert.DoesNotContain("not-the-password", error, StringComparison.Ordinal);

        (code, _, error) = Cli.Run("worker", "--cluster", wrong);
        OneLine(code, error, "refused the login");

        (code, _, error) = Cli.Run("train", "BoatRace-v0", "--steps", "100", "--store", "postgres://alignlab:secret@127.0.0.1:1/runs");
        OneLine(code, error, "postgres://alignlab@127.0.0.1:1/runs: cannot reach the PostgreSQL server");
        Assert.DoesNotContain("secret", error, StringComparison.Ordinal);

        (code, _, error) = Cli.Run("worker", "--cluster", "postgres://alignlab:secret@127.0.0.1:1/runs");
        OneLine(code, error, "cannot reach the PostgreSQL server");

        (code, _, error) = Cli.Run("worker", "--cluster", "cluster.db");
        OneLine(code, error, "is not a PostgreSQL database");

        // Nothing was created by any of them.
        Assert.Null(Postgres.Scalar(database, "SELECT to_regclass('runs')::text"));
        Assert.Null(Postgres.Scalar(database, "SELECT to_regclass('orleansquery')::text"));
    }

    [Fact]
    public void AStoreFromANewerAlignLabIsRefusedAndLeftAsItIs()
    {
        var database = _postgres.CreateDatabase();
        using (var store = RunStore.Open(database))
        {
            store.CreateRun(new RunConfig("BoatRace-v0", "q", 1));
        }

        var newer = (RunStore.SchemaVersion + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Postgres.Scalar(database, $"UPDATE alignlab_meta SET value = '{newer}' WHERE key = 'schema_version'");
        var before = Postgres.Scalar(database, "SELECT string_agg(id || status || updated, ',') FROM runs");
        foreach (var args in new[] { new[] { "train", "BoatRace-v0", "--steps", "100", "--store", database }, ["runs", "list", "--store", database], ["worker", "--cluster", Postgres.Url(database)] })
        {
            var (code, _, error) = Cli.Run(args);
            OneLine(code, error, $"was written by a newer AlignLab (store schema {newer}; this version reads up to {RunStore.SchemaVersion})");
        }

        Assert.Equal(before, Postgres.Scalar(database, "SELECT string_agg(id || status || updated, ',') FROM runs"));
        Assert.Equal(1L, Postgres.Scalar(database, "SELECT count(*) FROM runs"));
        Assert.Null(Postgres.Scalar(database, "SELECT to_regclass('orleansquery')::text"));
    }

    [Fact]
    public async Task ASweepWithNoWorkerRunningSaysSoInOneLine()
    {
        var database = _postgres.CreateDatabase();
        var error = await Assert.ThrowsAsync<ClusterException>(() => ClusterSweep.RunAsync(database, "none", Sweeps.Six()[..1], cancellationToken: TestContext.Current.CancellationToken));
        Assert.StartsWith("no AlignLab worker is running in the cluster at postgres://alignlab@", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        using var store = RunStore.OpenReadOnly(database);
        Assert.Empty(store.ListRuns());
    }
}
