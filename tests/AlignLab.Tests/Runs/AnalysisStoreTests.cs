using AlignLab.Runs;
using Microsoft.Data.Sqlite;

namespace AlignLab.Tests.Runs;

/// <summary>Analyses of a run in the SQLite store: round trips, the migration from schema 3, and clear errors.</summary>
public sealed class AnalysisStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignlab-analyses-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name) => Path.Combine(_dir, name);

    [Fact]
    public void AnalysesRoundTripInOrderAndByKind()
    {
        using var store = RunStore.Open(File("a.db"));
        var first = store.CreateRun(new RunConfig("CheeseInTheCorner-v0", "ppo", 1));
        var second = store.CreateRun(new RunConfig("CheeseInTheCorner-v0", "ppo", 2));
        var before = store.GetRun(first).Updated;
        var steer = store.SaveAnalysis(first, AnalysisKinds.Steer, """{"layer":"cact2","p":[0.5,"NaN"]}""");
        var audit = store.SaveAnalysis(first, AnalysisKinds.Audit, """{"posterior":0.96}""");
        var other = store.SaveAnalysis(second, AnalysisKinds.Steer, """{"layer":"cact1"}""");
        var again = store.SaveAnalysis(first, AnalysisKinds.Steer, """{"layer":"cact1"}""");
        Assert.True(steer < audit && audit < other && other < again);

        var all = store.Analyses(first);
        Assert.Equal([steer, audit, again], all.Select(a => a.Id));
        Assert.All(all, a => Assert.Equal(first, a.RunId));
        Assert.Equal([AnalysisKinds.Steer, AnalysisKinds.Audit, AnalysisKinds.Steer], all.Select(a => a.Kind));
        Assert.Equal("""{"layer":"cact2","p":[0.5,"NaN"]}""", all[0].Json);
        Assert.Equal(RunStore.CodeVersion, all[0].CodeVersion);
        Assert.True(all[0].Created >= before);
        Assert.True(store.GetRun(first).Updated >= all[^1].Created);
        Assert.Equal([steer, again], store.Analyses(first, AnalysisKinds.Steer).Select(a => a.Id));
        Assert.Empty(store.Analyses(first, AnalysisKinds.Mesa));
        Assert.Equal([other], store.Analyses(second).Select(a => a.Id));

        // Read back by another connection, read-only, the same.
        using var reader = RunStore.OpenReadOnly(File("a.db"));
        Assert.Equal(all, reader.Analyses(first));
        Assert.Contains("read-only", Assert.Throws<RunStoreException>(() => reader.SaveAnalysis(first, AnalysisKinds.Audit, "{}")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadAnalysesGetClearErrorsAndWriteNothing()
    {
        using var store = RunStore.Open(File("b.db"));
        var id = store.CreateRun(new RunConfig("BoatRace-v0", "q", 0));
        var missing = Assert.Throws<RunStoreException>(() => store.SaveAnalysis(99, AnalysisKinds.Steer, "{}"));
        Assert.Contains("no run 99", missing.Message, StringComparison.Ordinal);
        Assert.Contains("no run 99", Assert.Throws<RunStoreException>(() => store.Analyses(99)).Message, StringComparison.Ordinal);

        var kind = Assert.Throws<ArgumentException>(() => store.SaveAnalysis(id, "steering", "{}"));
        Assert.StartsWith("unknown analysis kind 'steering'; known kinds: audit, curricula, mesa, probe, redteam, steer.", kind.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => store.Analyses(id, "stear"));
        Assert.Contains("not valid JSON", Assert.Throws<ArgumentException>(() => store.SaveAnalysis(id, AnalysisKinds.Audit, "{not json")).Message, StringComparison.Ordinal);
        Assert.Contains("must be a JSON object", Assert.Throws<ArgumentException>(() => store.SaveAnalysis(id, AnalysisKinds.Audit, "[1, 2]")).Message, StringComparison.Ordinal);
        Assert.Empty(store.Analyses(id));
    }

    [Fact]
    public void AStoreOfSchema3KeepsItsRunsAndIsMigrated()
    {
        var path = File("old.db");
        long run;
        using (var store = RunStore.Open(path))
        {
            run = store.CreateRun(new RunConfig("CheeseInTheCorner-v0", "ppo", 7, Parameters: new Dictionary<string, string> { ["size"] = "5" }));
            store.AppendMetrics(run, 100, new Dictionary<string, double> { [RunMetrics.Reward] = 0.5 });
            store.SaveCheckpoint(run, 100, [1, 2, 3], [4]);
            store.AddEpisodes(run, [new EpisodeRecord("deploy", 0, 0, 1, 0, new Dictionary<string, double> { ["cheese"] = 0 }, [], "UUR", 3)]);
            store.SetResult(run, """{"verdict":null}""");
        }

        // Schema 3 is schema 4 without the analyses table: take the table away and mark the file as schema 3.
        Raw(path, "DROP TABLE analyses; PRAGMA user_version = 3;");
        Assert.Equal(3L, Raw(path, "PRAGMA user_version"));

        // Read-only, the old store is read as it is: its runs, and no analyses.
        using (var reader = RunStore.OpenReadOnly(path))
        {
            Assert.Equal(run, Assert.Single(reader.ListRuns()).Id);
            Assert.Empty(reader.Analyses(run));
        }

        Assert.Equal(3L, Raw(path, "PRAGMA user_version"));

        using (var store = RunStore.Open(path))
        {
            var info = Assert.Single(store.ListRuns());
            Assert.Equal("5", info.Config.Parameters!["size"]);
            Assert.Equal("""{"verdict":null}""", info.ResultJson);
            Assert.Equal(0.5, Assert.Single(store.Metrics(run)).Value);
            Assert.Equal([1, 2, 3], store.LatestCheckpoint(run)!.Weights);
            Assert.Equal("UUR", Assert.Single(store.Episodes(run)).Actions);
            Assert.Empty(store.Analyses(run));
            var id = store.SaveAnalysis(run, AnalysisKinds.Mesa, """{"k":1}""");
            Assert.Equal(id, Assert.Single(store.Analyses(run)).Id);
            Assert.Equal("ok", store.IntegrityCheck());
        }

        Assert.Equal((long)RunStore.SchemaVersion, Raw(path, "PRAGMA user_version"));

        // A store of a newer schema than this code writes is refused before anything is written.
        Raw(path, $"PRAGMA user_version = {RunStore.SchemaVersion + 1}");
        var newer = Assert.Throws<RunStoreException>(() => RunStore.Open(path));
        Assert.Contains($"newer AlignLab (store schema {RunStore.SchemaVersion + 1}; this version reads up to {RunStore.SchemaVersion})", newer.Message, StringComparison.Ordinal);
    }

    private static object? Raw(string path, string sql)
    {
        using var raw = new SqliteConnection($"Data Source={path};Pooling=False");
        raw.Open();
        using var command = raw.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
