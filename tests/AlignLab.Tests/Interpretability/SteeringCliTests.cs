using System.Text.Json.Nodes;
using AlignLab.Tests.Cli;

namespace AlignLab.Tests.Interpretability;

/// <summary><c>alignlab steer</c> on a stored run, as a user runs it.</summary>
public sealed class SteeringCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignlab-steer-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_stored_cnn_run_is_steered_and_bad_input_is_one_line_with_exit_2()
    {
        var store = Path.Combine(_dir, "runs.db");
        var (code, _, error) = CliTests.Run("train", "CheeseInTheCorner-v0", "--agent", "ppo", "--preset", "cnn", "--set", "size=5", "--steps", "1024", "--store", store);
        Assert.True(code == 0, error);

        (code, var output, error) = CliTests.Run("steer", "1", "--levels", "4", "--retarget", "1,2", "--coefficient", "-2", "--store", store, "--json");
        Assert.True(code == 0, error);
        var json = JsonNode.Parse(output)!;
        Assert.Equal(4, (int)json["levels"]!);
        Assert.Equal(-2.0, (double)json["coefficient"]!);
        Assert.NotNull(json["retarget"]);

        var figures = Path.Combine(_dir, "figures");
        (code, output, error) = CliTests.Run("steer", "1", "--levels", "3", "--vector", "level", "--store", store, "--figures", figures);
        Assert.True(code == 0, error);
        Assert.Contains("median P(cheese | decision square)", output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(figures, "buckets.svg")));

        foreach (var bad in new[] { new[] { "--retarget", "9,9" }, ["--retarget", "x"], ["--vector", "cheese"], ["--layer", "conv7"], ["--levels", "0"], ["--distribution", "nowhere"], ["--retarget", "1,1", "--retarget-all"], ["--retarget-mode", "move"], ["--retarget", "1,1", "--channel-list", "99"], ["--channel-list", "a,b"] })
        {
            (code, _, error) = CliTests.Run(["steer", "1", "--store", store, .. bad]);
            Assert.True(code == 2, $"{string.Join(' ', bad)}: exit {code}, {error}");
            Assert.Single(error.TrimEnd().Split('\n'));
        }
    }
}
