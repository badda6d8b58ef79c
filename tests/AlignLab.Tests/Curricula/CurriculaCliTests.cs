using System.Text.Json.Nodes;
using AlignLab.Curricula;
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
        string[] args = ["curricula", "CheeseInTheCorner-v0", "--set", "size=5", "--preset", "small", "--ppo", "num-envs=4", "--methods", "dr,plr,accel", "--alphas", "0,0.5", "--seeds", "2", "--steps", "1024", "--buffer-size", "16", "--eval-levels", "6", "--json"];
        var (code, one, error) = CliTests.Run([.. args, "--jobs", "1"]);
        Assert.True(code == 0, error);
        (code, var two, error) = CliTests.Run([.. args, "--jobs", "2"]);
        Assert.True(code == 0, error);
        Assert.Equal(one, two);

        var rows = JsonNode.Parse(one)!["rows"]!.AsArray();
        Assert.Equal(6, rows.Count);
        Assert.All(rows, row => Assert.Equal(2, row!["per_seed_deploy"]!.AsArray().Count));
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
    public void BadInputIsOneLineAndExitCodeTwo(params string[] args)
    {
        // Train gets a store of its own, so a mistaken success would not touch the user's.
        var (code, output, error) = CliTests.Run(args[0] == "train" ? [.. args, "--store", Path.Combine(_dir, "bad.db")] : args);
        Assert.Equal(2, code);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, output);
    }
}
