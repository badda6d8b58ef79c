using System.Text.Json.Nodes;
using AlignLab.Tests.Cli;

namespace AlignLab.Tests.TestDesign;

/// <summary><c>alignlab redteam</c> on a stored run, as a user runs it.</summary>
public sealed class RedTeamCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignlab-redteam-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AStoredRunIsRedTeamedAndBadInputIsOneLine()
    {
        var store = Path.Combine(_dir, "runs.db");
        var (code, _, error) = CliTests.Run("train", "CheeseInTheCorner-v0", "--agent", "ppo", "--set", "size=5", "--steps", "1024", "--store", store);
        Assert.True(code == 0, error);

        (code, var output, error) = CliTests.Run("redteam", "1", "--budget", "4", "--seeds", "1", "--suite", "2", "--store", store, "--json");
        Assert.True(code == 0, error);
        var json = JsonNode.Parse(output)!;
        Assert.Equal(3, json["summary"]!.AsArray().Count);
        Assert.Equal(3, json["runs"]!.AsArray().Count);

        (code, output, error) = CliTests.Run("redteam", "1", "--budget", "4", "--seeds", "1", "--suite", "1", "--strategy", "divergence", "--store", store);
        Assert.True(code == 0, error);
        Assert.Contains("divergence level 1", output, StringComparison.Ordinal);

        foreach (var bad in new[] { new[] { "--strategy", "nope" }, ["--distribution", "depoy"] })
        {
            (code, _, error) = CliTests.Run(["redteam", "1", "--store", store, .. bad]);
            Assert.Equal(2, code);
            Assert.Single(error.TrimEnd().Split('\n'));
        }
    }
}
