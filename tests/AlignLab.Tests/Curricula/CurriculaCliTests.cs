using System.Text.Json.Nodes;
using AlignLab.Curricula;
using AlignLab.Reports;
using AlignLab.Runs;
using AlignLab.Tests.Cli;

namespace AlignLab.Tests.Curricula;

/// <summary><c>alignlab train --curriculum</c> and <c>alignlab curricula</c> as a user runs them, and their one-line errors.</summary>
public sealed class CurriculaCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignlab-curricula-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ACurriculumRunGoesToTheStore()
    {
        var store = Path.Combine(_dir, "runs.db");
        var (code, output, error) = CliTests.Run("train", "CheeseInTheCorner-v0", "--agent", "ppo", "--preset", "small", "--set", "size=5", "--steps", "2048", "--curve-points", "2", "--curriculum", "plr", "--alpha", "0.1", "--buffer-size", "32", "--score", "pvl", "--store", store, "--json");
        Assert.True(code == 0, error);
        Assert.NotNull(JsonNode.Parse(output));

        (code, output, error) = CliTests.Run("runs", "show", "1", "--store", store, "--json");
        Assert.True(code == 0, error);
        Assert.Contains("finished", output, StringComparison.OrdinalIgnoreCase);
        var run = JsonNode.Parse(output)!;
        Assert.Equal("plr", (string)run["settings"]!["curriculum"]!["kind"]!);
        Assert.Equal(0.1, (double)run["settings"]!["curriculum"]!["alpha"]!, 1e-12);
        Assert.Equal(1.0, (double)run["last_metrics"]![CurriculumMetrics.Kind]!, 1e-12);

        // The level buffer is not in the checkpoints: a killed curriculum run is refused, not resumed without it.
        using (var runs = RunStore.Open(store))
        {
            runs.SetStatus(1, RunStatus.Running);
        }

        (code, _, error) = CliTests.Run("train", "--resume", "1", "--store", store);
        Assert.Equal(2, code);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.Contains("curriculum", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TheComparisonTableIsTheSameForAnyNumberOfJobs()
    {
        string[] args = ["curricula", "CheeseInTheCorner-v0", "--set", "size=5", "--preset", "small", "--ppo", "num-envs=4", "--methods", "dr,plr,accel", "--alphas", "0,0.5", "--seeds", "2", "--steps", "1024", "--buffer-size", "16", "--eval-levels", "6", "--json", "--no-store"];
        var (code, one, error) = CliTests.Run([.. args, "--jobs", "1"]);
        Assert.True(code == 0, error);
        (code, var two, error) = CliTests.Run([.. args, "--jobs", "2"]);
        Assert.True(code == 0, error);
        Assert.Equal(one, two);

        var rows = JsonNode.Parse(one)!["rows"]!.AsArray();
        Assert.Equal(6, rows.Count);
        Assert.All(rows, row => Assert.Equal(2, row!["per_seed_deploy"]!.AsArray().Count));
    }

    /// <summary>The smallest comparison that has an interval: 7×7, PLR⊥ at two α, two seeds, 2,048 steps each.</summary>
    internal static readonly string[] Tiny = ["curricula", "CheeseInTheCorner-v0", "--set", "size=7", "--preset", "small", "--ppo", "num-envs=4", "--methods", "plr", "--alphas", "0,0.5", "--seeds", "2", "--steps", "2048", "--buffer-size", "16", "--eval-levels", "6"];

    [Fact]
    public void TheComparisonIsKeptAsARunWithItsTableAndNoStoreKeepsNothing()
    {
        var store = Path.Combine(_dir, "runs.db");
        var (code, printed, error) = CliTests.Run([.. Tiny, "--json", "--store", store]);
        Assert.True(code == 0, error);
        Assert.EndsWith($"kept as run 1 in {store}: alignlab report 1 --store {store}", error.TrimEnd(), StringComparison.Ordinal);

        using (var runs = RunStore.OpenReadOnly(store))
        {
            var run = Assert.Single(runs.ListRuns());
            Assert.Equal(RunStatus.Finished, run.Status);
            Assert.Equal(("CheeseInTheCorner-v0", "ppo", "7"), (run.Config.ScenarioId, run.Config.Agent, run.Config.Parameters!["size"]));
            Assert.Equal("curricula", (string)run.Config.Settings!["comparison"]!);
            Assert.Equal(4, (int)run.Config.HyperParameters!["NumEnvs"]!);
            var record = Assert.Single(runs.Analyses(run.Id));
            Assert.Equal(AnalysisKinds.Curricula, record.Kind);
            var kept = AnalysisJson.Read<CurriculumAnalysis>(record).Analysis;

            // What is kept is the table that was printed, number for number, and the command that printed it.
            Assert.Equal(printed.Trim(), kept.Table.ToJson().ToJsonString());
            Assert.Equal(string.Join(' ', ["alignlab", .. Tiny, "--json", "--store", store]), kept.Command);
            Assert.Equal([0.0, 0.5], kept.Table.Rows.Select(r => r.Alpha));
            Assert.All(kept.Table.Rows, r => Assert.Equal(2, r.PerSeed.Count));
        }

        // --no-store prints the same table and writes nothing: no new store, nothing added to an existing one.
        var absent = Path.Combine(_dir, "absent.db");
        (code, var again, error) = CliTests.Run([.. Tiny, "--json", "--no-store", "--store", absent]);
        Assert.True(code == 0, error);
        Assert.Equal(printed, again);
        Assert.DoesNotContain("kept as run", error, StringComparison.Ordinal);
        Assert.False(File.Exists(absent));
        var before = File.ReadAllBytes(store);
        (code, again, error) = CliTests.Run([.. Tiny, "--json", "--no-store", "--store", store]);
        Assert.True(code == 0, error);
        Assert.Equal(printed, again);
        Assert.Equal(before, File.ReadAllBytes(store));
    }

    [Fact]
    public void AComparisonOnAScenarioFileKeepsTheFileForTheReport()
    {
        var file = Path.Combine(_dir, "cheese.yaml");
        File.Copy(Path.Combine(Support.Repo.Root, "scenarios", "CheeseInTheCorner-v0.yaml"), file);
        var text = File.ReadAllText(file);
        var store = Path.Combine(_dir, "file.db");
        string[] args = [.. Tiny, "--store", store];
        args[1] = file;
        var (code, _, error) = CliTests.Run(args);
        Assert.True(code == 0, error);
        using (var runs = RunStore.OpenReadOnly(store))
        {
            var config = runs.GetRun(1).Config;
            Assert.Equal((file, text), (config.ScenarioId, config.ScenarioText));
        }

        // The report rebuilds the scenario from the store alone, whatever the file has become.
        File.Delete(file);
        var html = Path.Combine(_dir, "file.html");
        (code, _, error) = CliTests.Run("report", "1", "--store", store, "--out", html);
        Assert.True(code == 0, error);
        var page = File.ReadAllText(html);
        Assert.DoesNotContain("could not be loaded", page, StringComparison.Ordinal);
        Assert.Contains("<div class=\"analysis curricula\"", page, StringComparison.Ordinal);
    }

    [Fact]
    public void AStoreThatCannotKeepTheComparisonIsRefusedBeforeTraining()
    {
        var notAStore = Path.Combine(_dir, "notes.db");
        File.WriteAllText(notAStore, "not a database");
        foreach (var store in new[] { _dir, notAStore, Path.Combine(_dir, "missing", "runs.db") })
        {
            // Refused before training: the table, printed after training, is not there.
            var (code, output, error) = CliTests.Run([.. Tiny, "--store", store]);
            Assert.Equal(2, code);
            Assert.Single(error.TrimEnd().Split('\n'));
            Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
            Assert.Equal(string.Empty, output);
        }

        Assert.Equal("not a database", File.ReadAllText(notAStore));
        Assert.False(Directory.Exists(Path.Combine(_dir, "missing")));
    }

    [Theory]
    [InlineData("train", "CheeseInTheCorner-v0", "--agent", "q", "--curriculum", "plr")]
    [InlineData("train", "DistributionalShift-v0", "--agent", "ppo", "--curriculum", "dr", "--alpha", "0.1")]
    [InlineData("train", "CheeseInTheCorner-v0", "--agent", "ppo", "--curriculum", "plr", "--alpha", "1.5")]
    [InlineData("train", "CheeseInTheCorner-v0", "--agent", "ppo", "--curriculum", "plrr")]
    [InlineData("train", "CheeseInTheCorner-v0", "--agent", "ppo", "--alpha", "0.1")]
    [InlineData("train", "CheeseInTheCorner-v0", "--agent", "ppo", "--curriculum", "accel", "--score", "regret")]
    [InlineData("train", "CheeseInTheCorner-v0", "--agent", "ppo", "--curriculum", "plr", "--buffer-size", "2")]
    [InlineData("curricula", "CheeseInTheCorner-v0", "--alphas", "0,x")]
    [InlineData("curricula", "CheeseInTheCorner-v0", "--methods", "dr,rl")]
    [InlineData("curricula", "BoatRace-v0", "--steps", "1000")]
    [InlineData("curricula", "CheeseInTheCorner-v0", "--seeds", "0")]
    [InlineData("curricula", "CheeseInTheCorner-v0", "--store", "")]
    [InlineData("curricula", "CheeseInTheCorner-v0", "--jobs", "0", "--no-store")]
    public void BadInputIsOneLineAndExitCodeTwo(params string[] args)
    {
        // Each gets a store of its own, so a mistaken success would not touch the user's.
        var (code, output, error) = CliTests.Run(args.Contains("--store") ? args : [.. args, "--store", Path.Combine(_dir, "bad.db")]);
        Assert.Equal(2, code);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, output);
        Assert.True(args[0] != "curricula" || !File.Exists(Path.Combine(_dir, "bad.db")), "a refused comparison left a store behind");
    }
}
