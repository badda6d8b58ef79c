using System.Text.Json.Nodes;
using AlignLab.Runs;

namespace AlignLab.Cluster.Tests;

/// <summary>The PostgreSQL run store keeps the SQLite store's contract: same records back, leases, schema version, clear errors.</summary>
public sealed class PostgresRunStoreTests : IDisposable
{
    private readonly Postgres _postgres = new();
    private readonly string _dir = Directory.CreateTempSubdirectory("alignlab-pg-").FullName;

    public void Dispose()
    {
        _postgres.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Writes the same records through a store and reads everything back (timestamps aside).</summary>
    private static string Exercise(RunStore store)
    {
        var config = new RunConfig("BoatRace-v0", "ppo", ulong.MaxValue, "train", new Dictionary<string, string> { ["laps"] = "2", ["a"] = "b" }, new JsonObject { ["lr"] = 0.00025, ["hidden"] = 64 }, new JsonObject { ["steps"] = 10 }, "name: x");
        var id = store.CreateRun(config);
        var other = store.CreateRun(config with { Seed = 3, ScenarioText = null });
        store.AppendMetrics(id, 0, new Dictionary<string, double> { [RunMetrics.Reward] = 1.5, [RunMetrics.Intended] = double.NaN });
        store.AppendMetrics(id, 100, new Dictionary<string, double> { [RunMetrics.Reward] = 2.5, [RunMetrics.Intended] = 0.5 });
        store.AppendMetrics(id, 100, new Dictionary<string, double> { [RunMetrics.Reward] = 3.5 });
        for (var step = 0; step < 5; step++)
        {
            store.SaveCheckpoint(id, step * 10, [(byte)step, 1, 2], [9, (byte)step]);
        }

        store.SaveCheckpoint(other, 7, new MemoryStream([5, 6, 7, 8]), [1]);
        store.AddEpisodes(id, [new EpisodeRecord("deploy", 1, 0, 3, -1, new Dictionary<string, double> { ["coin"] = 1, ["end"] = double.NegativeInfinity }, ["coin"], "RRU", 42), new EpisodeRecord("Train", 0, 1, double.NaN, 0, new Dictionary<string, double>(), [], string.Empty)]);
        store.SetResult(id, "{\"verdict\":1}");
        store.SetStatus(other, RunStatus.Failed);

        var text = new System.Text.StringBuilder();
        foreach (var run in store.ListRuns())
        {
            text.AppendLine($"{run.Id} {run.Config.ScenarioId} {run.Config.Agent} {run.Config.Seed} {run.Config.Distribution} {string.Join(",", run.Config.Parameters!.Select(p => p.Key + "=" + p.Value))} {run.Config.HyperParameters!.ToJsonString()} {run.Config.Settings!.ToJsonString()} {run.Config.ScenarioText} {run.CodeVersion} {run.Status} {run.ResultJson}");
            text.AppendLine(string.Join(";", store.Metrics(run.Id).Select(m => $"{m.Step}:{m.Name}:{m.Value:R}")));
            text.AppendLine(store.LatestCheckpointStep(run.Id)?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var checkpoint = store.LatestCheckpoint(run.Id)!;
            text.AppendLine($"{checkpoint.Step} {Convert.ToHexString(checkpoint.Weights)} {Convert.ToHexString(checkpoint.RngState)}");
            var (step, weights) = store.OpenLatestCheckpoint(run.Id)!.Value;
            using (weights)
            {
                using var copy = new MemoryStream();
                weights.CopyTo(copy);
                text.AppendLine($"{step} {Convert.ToHexString(copy.ToArray())}");
            }

            foreach (var e in store.Episodes(run.Id))
            {
                text.AppendLine($"{e.Distribution} {e.Level} {e.Index} {e.Reward:R} {e.Intended:R} {string.Join(",", e.GoalReturns.Select(g => $"{g.Key}={g.Value:R}"))} {string.Join(",", e.AchievedGoals)} {e.Actions} {e.Seed}");
            }

            using var csv = new StringWriter();
            store.ExportMetricsCsv(run.Id, csv);
            text.AppendLine(csv.ToString());
        }

        text.AppendLine(store.IntegrityCheck()).AppendLine(store.JournalMode);
        return text.ToString();
    }

    [Fact]
    public void ThePostgresStoreGivesBackWhatTheSqliteStoreGivesBack()
    {
        var database = _postgres.CreateDatabase();
        string fromSqlite, fromPostgres;
        using (var sqlite = RunStore.Open(Path.Combine(_dir, "a.db")))
        {
            fromSqlite = Exercise(sqlite);
        }

        using (var postgres = RunStore.Open(Postgres.Url(database)))
        {
            Assert.True(RunStore.IsPostgres(Postgres.Url(database)));
            fromPostgres = Exercise(postgres);
            Assert.StartsWith("postgres://alignlab@", postgres.Path, StringComparison.Ordinal);
        }

        Assert.Equal(fromSqlite, fromPostgres);
        Assert.Contains("100:eval/reward:3.5", fromPostgres, StringComparison.Ordinal);

        // Reopened (also through an Npgsql connection string, and read-only) the records are the same.
        using var again = RunStore.OpenReadOnly(database);
        Assert.Equal(2, again.ListRuns().Count);
        Assert.Equal(40, again.LatestCheckpointStep(1));
        Assert.Throws<RunStoreException>(() => again.SetStatus(1, RunStatus.Failed));
    }

    [Fact]
    public void OnlyTheNewestCheckpointsAreKeptAndAChangedOneFailsItsChecksum()
    {
        var database = _postgres.CreateDatabase();
        using var store = RunStore.Open(database);
        var id = store.CreateRun(new RunConfig("BoatRace-v0", "q", 1));
        for (var step = 0; step < 6; step++)
        {
            store.SaveCheckpoint(id, step, [(byte)step], [1]);
        }

        Assert.Equal(RunStore.CheckpointsKept, (long)Postgres.Scalar(database, "SELECT count(*) FROM checkpoints")!);
        Postgres.Scalar(database, "UPDATE checkpoints SET weights = '\\x07' WHERE step = 5");
        var error = Assert.Throws<RunStoreException>(() => store.LatestCheckpoint(id));
        Assert.Contains("fails its checksum", error.Message, StringComparison.Ordinal);
        Assert.Contains("fails its checksum", store.IntegrityCheck(), StringComparison.Ordinal);
    }

    [Fact]
    public void ARunIsLeasedToOneConnectionUntilItEnds()
    {
        var database = _postgres.CreateDatabase();
        using var second = RunStore.Open(database);
        long id;
        using (var first = RunStore.Open(database))
        {
            id = first.CreateRun(new RunConfig("BoatRace-v0", "q", 1));
            first.ClaimRun(id);
            first.ClaimRun(id);
            var error = Assert.Throws<RunStoreException>(() => second.ClaimRun(id));
            Assert.Contains($"run {id} is being trained or resumed by another process (pid {Environment.ProcessId} on {Environment.MachineName}", error.Message, StringComparison.Ordinal);
            first.ReleaseRun(id);
            second.ClaimRun(id);
            Assert.Throws<RunStoreException>(() => first.ClaimRun(id));
            second.SetResult(id, "{}");
            first.ClaimRun(id);
        }

        // The first connection closed without releasing: its lease ends with its session. The server ends a closed
        // session's backend, and with it its advisory locks, after the client has gone, so wait for that first.
        var locks = $"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = {id} AND objsubid = 1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";
        for (var tries = 0; tries < 600 && (long)Postgres.Scalar(database, locks)! > 0; tries++)
        {
            Thread.Sleep(50);
        }

        second.ClaimRun(id);
    }

    [Fact]
    public void ANewerSchemaIsRefusedAndNothingIsChanged()
    {
        var database = _postgres.CreateDatabase();
        using (var store = RunStore.Open(database))
        {
            store.CreateRun(new RunConfig("BoatRace-v0", "q", 1));
        }

        Postgres.Scalar(database, "UPDATE alignlab_meta SET value = '99' WHERE key = 'schema_version'");
        var before = Postgres.Scalar(database, "SELECT string_agg(id || status || updated, ',') FROM runs");
        foreach (var open in new Func<string, RunStore>[] { RunStore.Open, RunStore.OpenReadOnly })
        {
            var error = Assert.Throws<RunStoreException>(() => open(database));
            Assert.Contains($"was written by a newer AlignLab (store schema 99; this version reads up to {RunStore.SchemaVersion})", error.Message, StringComparison.Ordinal);
        }

        Assert.Equal(before, Postgres.Scalar(database, "SELECT string_agg(id || status || updated, ',') FROM runs"));
        Assert.Equal("99", Postgres.Scalar(database, "SELECT value FROM alignlab_meta WHERE key = 'schema_version'"));
    }

    [Fact]
    public void AWrongPasswordAnUnreachableServerAndAMissingStoreEachGetOneLine()
    {
        var database = _postgres.CreateDatabase();
        var wrong = Assert.Throws<RunStoreException>(() => RunStore.Open(Postgres.Url(database, password: "not-the-password")));
        Assert.Contains("refused the login of user 'alignlab' (wrong password, or no such role)", wrong.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", wrong.Message, StringComparison.Ordinal);

        var unreachable = Assert.Throws<RunStoreException>(() => RunStore.Open("postgres://alignlab:secret@127.0.0.1:1/nothing"));
        Assert.StartsWith("postgres://alignlab@127.0.0.1:1/nothing: cannot reach the PostgreSQL server", unreachable.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", unreachable.Message, StringComparison.Ordinal);

        var missing = Assert.Throws<RunStoreException>(() => RunStore.OpenReadOnly(database));
        Assert.Contains("there is no run store at", missing.Message, StringComparison.Ordinal);
        Assert.Null(Postgres.Scalar(database, "SELECT to_regclass('runs')::text"));

        foreach (var e in new[] { wrong, unreachable, missing })
        {
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    [Theory]
    [InlineData("postgres://u:p%40ss@db.example:6000/runs?sslmode=disable", true, "postgres://u@db.example:6000/runs")]
    [InlineData("postgresql://u@h/d", true, "postgres://u@h:5432/d")]
    [InlineData("Host=h;Username=u;Password=p;Database=d", true, "postgres://u@h:5432/d")]
    [InlineData(" host = h ; database = d", true, "postgres://h:5432/d")]
    [InlineData("alignlab.db", false, null)]
    [InlineData("runs/host=1.db", false, null)]
    public void LocationsAreToldApartAndShownWithoutTheirPassword(string location, bool postgres, string? display)
    {
        Assert.Equal(postgres, RunStore.IsPostgres(location));
        if (display is not null)
        {
            var builder = PostgresLocation.Parse(location);
            Assert.Equal(display, PostgresLocation.Display(builder));
            Assert.Equal(PostgresLocation.ConnectTimeoutSeconds, builder.Timeout);
        }
    }

    [Theory]
    [InlineData("postgres://u:secret@/d")]
    [InlineData("postgres://u:secret@h/d?nonsense")]
    [InlineData("Host=h;Password=secret;Bogus Key=1")]
    public void AMalformedLocationIsOneLineWithoutThePassword(string location)
    {
        var error = Assert.Throws<RunStoreException>(() => RunStore.Open(location));
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }
}
