using AlignLab.Runs;

namespace AlignLab.Cluster.Tests;

/// <summary>Analyses of a run in the PostgreSQL store: the SQLite store's round trip, the migration from schema 3, and clear errors.</summary>
public sealed class PostgresAnalysisTests : IDisposable
{
    private readonly Postgres _postgres = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("alignlab-pg-analyses-").FullName;

    public void Dispose()
    {
        _postgres.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Saves the same analyses through a store and reads them back (times aside), with the errors for bad input.</summary>
    private static List<string> Exercise(RunStore store)
    {
        var first = store.CreateRun(new RunConfig("CheeseInTheCorner-v0", "ppo", 1));
        var second = store.CreateRun(new RunConfig("CheeseInTheCorner-v0", "ppo", 2));
        store.SaveAnalysis(first, AnalysisKinds.Steer, """{"layer":"cact2","p":[0.5,"NaN"],"name":"é ✓"}""");
        store.SaveAnalysis(second, AnalysisKinds.Mesa, """{"k":8}""");
        store.SaveAnalysis(first, AnalysisKinds.Audit, """{"posterior":0.96}""");
        store.SaveAnalysis(first, AnalysisKinds.Steer, """{"layer":"cact1"}""");
        var lines = new List<string>();
        foreach (var (run, kind) in new (long, string?)[] { (first, null), (first, AnalysisKinds.Steer), (first, AnalysisKinds.Probe), (second, null) })
        {
            lines.AddRange(store.Analyses(run, kind).Select(a => $"{a.Id} {a.RunId} {a.Kind} {a.Json} {a.CodeVersion == RunStore.CodeVersion} {a.Created <= store.GetRun(run).Updated}"));
            lines.Add("--");
        }

        lines.Add(Assert.Throws<RunStoreException>(() => store.SaveAnalysis(99, AnalysisKinds.Steer, "{}")).Message.Replace(store.Path, "STORE", StringComparison.Ordinal));
        lines.Add(Assert.Throws<RunStoreException>(() => store.Analyses(99)).Message.Replace(store.Path, "STORE", StringComparison.Ordinal));
        lines.Add(Assert.Throws<ArgumentException>(() => store.SaveAnalysis(first, "steering", "{}")).Message);
        lines.Add(Assert.Throws<ArgumentException>(() => store.SaveAnalysis(first, AnalysisKinds.Audit, "[1]")).Message);
        lines.Add(store.Analyses(first).Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return lines;
    }

    [Fact]
    public void ThePostgresStoreKeepsAnalysesAsTheSqliteStoreDoes()
    {
        var database = _postgres.CreateDatabase();
        List<string> fromSqlite, fromPostgres;
        using (var sqlite = RunStore.Open(Path.Combine(_dir, "a.db")))
        {
            fromSqlite = Exercise(sqlite);
        }

        using (var postgres = RunStore.Open(database))
        {
            fromPostgres = Exercise(postgres);
        }

        Assert.Equal(fromSqlite, fromPostgres);
        Assert.Contains("1 1 steer {\"layer\":\"cact2\",\"p\":[0.5,\"NaN\"],\"name\":\"é ✓\"} True True", fromPostgres);

        // Read-only, the same analyses; writing is refused.
        using var reader = RunStore.OpenReadOnly(database);
        Assert.Equal(3, reader.Analyses(1).Count);
        Assert.Contains("read-only", Assert.Throws<RunStoreException>(() => reader.SaveAnalysis(1, AnalysisKinds.Audit, "{}")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AStoreOfSchema3KeepsItsRunsAndIsMigrated()
    {
        var database = _postgres.CreateDatabase();
        long run;
        using (var store = RunStore.Open(database))
        {
            run = store.CreateRun(new RunConfig("CheeseInTheCorner-v0", "ppo", 7, Parameters: new Dictionary<string, string> { ["size"] = "5" }));
            store.AppendMetrics(run, 100, new Dictionary<string, double> { [RunMetrics.Reward] = 0.5 });
            store.SaveCheckpoint(run, 100, [1, 2, 3], [4]);
            store.SetResult(run, """{"verdict":null}""");
        }

        // Schema 3 is schema 4 without the analyses table.
        Postgres.Scalar(database, "DROP TABLE analyses; UPDATE alignlab_meta SET value = '3' WHERE key = 'schema_version'");
        using (var reader = RunStore.OpenReadOnly(database))
        {
            Assert.Equal(run, Assert.Single(reader.ListRuns()).Id);
            Assert.Empty(reader.Analyses(run));
        }

        Assert.Equal("3", Postgres.Scalar(database, "SELECT value FROM alignlab_meta WHERE key = 'schema_version'"));
        using (var store = RunStore.Open(database))
        {
            var info = Assert.Single(store.ListRuns());
            Assert.Equal("5", info.Config.Parameters!["size"]);
            Assert.Equal("""{"verdict":null}""", info.ResultJson);
            Assert.Equal(0.5, Assert.Single(store.Metrics(run)).Value);
            Assert.Equal([1, 2, 3], store.LatestCheckpoint(run)!.Weights);
            Assert.Empty(store.Analyses(run));
            var id = store.SaveAnalysis(run, AnalysisKinds.Probe, """{"k":1}""");
            Assert.Equal(id, Assert.Single(store.Analyses(run)).Id);
        }

        Assert.Equal(RunStore.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), Postgres.Scalar(database, "SELECT value FROM alignlab_meta WHERE key = 'schema_version'"));
    }
}
