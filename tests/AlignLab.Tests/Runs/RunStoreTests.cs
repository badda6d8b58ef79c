using System.Diagnostics;
using System.Text.Json.Nodes;
using AlignLab.Runs;
using AlignLab.Tests.Cli;
using Microsoft.Data.Sqlite;

namespace AlignLab.Tests.Runs;

/// <summary>The SQLite run store: round trips, WAL mode, clear errors, and surviving a killed writer.</summary>
public sealed class RunStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignlab-runs-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name) => Path.Combine(_dir, name);

    [Fact]
    public void RunsMetricsEpisodesCheckpointsAndResultsRoundTrip()
    {
        long id;
        using (var store = RunStore.Open(File("a.db")))
        {
            var config = new RunConfig("BoatRace-v0", "ppo", ulong.MaxValue, "train", new Dictionary<string, string> { ["laps"] = "2" }, new JsonObject { ["lr"] = 0.00025, ["hidden"] = 64 });
            id = store.CreateRun(config);
            store.AppendMetrics(id, 0, new Dictionary<string, double> { [RunMetrics.Reward] = 1.5, [RunMetrics.Intended] = double.NaN });
            store.AppendMetrics(id, 100, new Dictionary<string, double> { [RunMetrics.Reward] = 2.5, [RunMetrics.Intended] = 0.5 });
            for (var step = 0; step < 5; step++)
            {
                store.SaveCheckpoint(id, step * 10, [(byte)step, 1, 2], [9, (byte)step]);
            }

            store.AddEpisodes(id, [new EpisodeRecord("deploy", 1, 0, 3, -1, new Dictionary<string, double> { ["coin"] = 1, ["end"] = 0 }, ["coin"], "RRU", 42)]);
            store.SetResult(id, "{\"verdict\":1}");
        }

        using (var store = RunStore.Open(File("a.db")))
        {
            var run = Assert.Single(store.ListRuns());
            Assert.Equal(run, store.GetRun(id) with { Config = run.Config });
            Assert.Equal("BoatRace-v0", run.Config.ScenarioId);
            Assert.Equal(ulong.MaxValue, run.Config.Seed);
            Assert.Equal("2", run.Config.Parameters!["laps"]);
            Assert.Equal(64, (int)run.Config.HyperParameters!["hidden"]!);
            Assert.Equal(RunStatus.Finished, run.Status);
            Assert.Equal("{\"verdict\":1}", run.ResultJson);
            Assert.Equal(RunStore.CodeVersion, run.CodeVersion);

            var metrics = store.Metrics(id);
            Assert.Equal(4, metrics.Count);
            Assert.True(double.IsNaN(metrics.Single(m => m.Name == RunMetrics.Intended && m.Step == 0).Value));
            Assert.Equal(2.5, metrics.Single(m => m.Name == RunMetrics.Reward && m.Step == 100).Value);

            var checkpoint = store.LatestCheckpoint(id)!;
            Assert.Equal(40, checkpoint.Step);
            Assert.Equal(new byte[] { 4, 1, 2 }, checkpoint.Weights);
            Assert.Equal(new byte[] { 9, 4 }, checkpoint.RngState);

            var episode = Assert.Single(store.Episodes(id));
            Assert.Equal(("deploy", 1, "RRU", 42UL, -1.0), (episode.Distribution, episode.Level, episode.Actions, episode.Seed!.Value, episode.Intended));
            Assert.Equal(["coin"], episode.AchievedGoals);
            Assert.Equal(1, episode.GoalReturns["coin"]);

            var csv = new StringWriter();
            store.ExportMetricsCsv(id, csv);
            Assert.Equal("step,eval/intended,eval/reward\n0,NaN,1.5\n100,0.5,2.5\n", csv.ToString().ReplaceLineEndings("\n"));
        }

        // Only the newest checkpoints are kept.
        using var raw = new SqliteConnection($"Data Source={File("a.db")};Pooling=False");
        raw.Open();
        using var count = raw.CreateCommand();
        count.CommandText = "SELECT count(*) FROM checkpoints";
        Assert.Equal((long)RunStore.CheckpointsKept, (long)count.ExecuteScalar()!);
    }

    [Fact]
    public void TheStoreIsInWalModeAndVersioned()
    {
        using (var store = RunStore.Open(File("w.db")))
        {
            Assert.Equal("wal", store.JournalMode);
        }

        using var raw = new SqliteConnection($"Data Source={File("w.db")};Pooling=False");
        raw.Open();
        using var command = raw.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar());
        command.CommandText = "PRAGMA user_version";
        Assert.Equal((long)RunStore.SchemaVersion, command.ExecuteScalar());
    }

    [Fact]
    public void BadInputGetsClearErrors()
    {
        using var store = RunStore.Open(File("b.db"));
        var id = store.CreateRun(new RunConfig("BoatRace-v0", "q", 0));
        var unknown = Assert.Throws<ArgumentException>(() => store.AppendMetrics(id, 0, new Dictionary<string, double> { ["eval/rewrd"] = 1 }));
        Assert.Contains("eval/reward", unknown.Message, StringComparison.Ordinal);
        Assert.Empty(store.Metrics(id));
        Assert.Throws<ArgumentException>(() => store.SetResult(id, "{not json"));
        var missing = Assert.Throws<RunStoreException>(() => store.GetRun(99));
        Assert.Contains("no run 99", missing.Message, StringComparison.Ordinal);
        Assert.Throws<RunStoreException>(() => store.AppendMetrics(99, 0, new Dictionary<string, double> { [RunMetrics.Reward] = 1 }));
    }

    [Fact]
    public void AGarbageFileGivesOneClearError()
    {
        var garbage = File("garbage.db");
        System.IO.File.WriteAllBytes(garbage, [.. Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 % 251))]);
        var e = Assert.Throws<RunStoreException>(() => RunStore.Open(garbage));
        Assert.Contains("not an AlignLab run store", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);

        var (code, output, error) = CliTests.Run("runs", "list", "--store", garbage);
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, output);
        Assert.Equal($"error: {garbage} is not an AlignLab run store (it is not an SQLite database).", error.Trim());

        // An SQLite database of another application is refused too, and left untouched.
        var other = File("other.db");
        using (var raw = new SqliteConnection($"Data Source={other};Pooling=False"))
        {
            raw.Open();
            using var command = raw.CreateCommand();
            command.CommandText = "CREATE TABLE t(x)";
            command.ExecuteNonQuery();
        }

        Assert.Contains("not an AlignLab run store", Assert.Throws<RunStoreException>(() => RunStore.Open(other)).Message, StringComparison.Ordinal);

        // A store written by a newer AlignLab is refused with its schema version.
        using (RunStore.Open(File("new.db")))
        {
        }

        using (var raw = new SqliteConnection($"Data Source={File("new.db")};Pooling=False"))
        {
            raw.Open();
            using var command = raw.CreateCommand();
            command.CommandText = "PRAGMA user_version = 99";
            command.ExecuteNonQuery();
        }

        Assert.Contains("newer AlignLab", Assert.Throws<RunStoreException>(() => RunStore.Open(File("new.db"))).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AWriterKilledMidWriteLeavesASoundStoreWithCompleteRuns()
    {
        var path = File("killed.db");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // AlignLab.StressWriter (tests/) writes complete runs in a loop: 8 metric names × 10 steps, 10 checkpoints, 5 episodes, a result.
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "AlignLab.StressWriter.dll"), path, "100000" })
        {
            info.ArgumentList.Add(a);
        }

        using (var writer = Process.Start(info)!)
        {
            // Kill (SIGKILL) once a few runs are committed: the writer is then in the middle of the next one.
            string? line;
            while ((line = writer.StandardOutput.ReadLine()) is not null && line != "committed 3")
            {
            }

            Assert.Equal("committed 3", line);
            writer.Kill(entireProcessTree: true);
            writer.WaitForExit();
        }

        using var store = RunStore.Open(path);
        Assert.Equal("ok", store.IntegrityCheck());
        var runs = store.ListRuns();
        Assert.True(runs.Count(r => r.Status == RunStatus.Finished) >= 3);
        Assert.True(runs.Count(r => r.Status == RunStatus.Running) <= 1);
        foreach (var run in runs)
        {
            var metrics = store.Metrics(run.Id);
            // Each metric batch is one transaction: every logged step has all its names.
            Assert.All(metrics.GroupBy(m => m.Step), step => Assert.Equal(8, step.Count()));
            if (run.Status == RunStatus.Finished)
            {
                Assert.Equal(80, metrics.Count);
                Assert.Equal(5, store.Episodes(run.Id).Count);
                var checkpoint = store.LatestCheckpoint(run.Id)!;
                Assert.Equal(900, checkpoint.Step);
                Assert.All(checkpoint.Weights, b => Assert.Equal(9, b));
                Assert.Equal((bool?)true, (bool?)JsonNode.Parse(run.ResultJson!)!["complete"]);
            }
        }

        // The store stays writable after recovery.
        var id = store.CreateRun(new RunConfig("BoatRace-v0", "q", 1));
        store.AppendMetrics(id, 0, new Dictionary<string, double> { [RunMetrics.Reward] = 1 });
        Assert.Single(store.Metrics(id));
    }
}
