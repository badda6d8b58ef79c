using System.Text.Json.Nodes;
using AlignLab.Tests.Cli;

namespace AlignLab.Tests.Mesa;

/// <summary><c>alignlab mesa</c> on a stored VIN run, as a user runs it, and its refusals of bad input.</summary>
public sealed class MesaCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignlab-mesa-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AStoredVinRunIsReadAndEdited()
    {
        var store = Path.Combine(_dir, "runs.db");
        var (code, _, error) = CliTests.Run("train", "CheeseInTheCorner-v0", "--agent", "ppo", "--network", "vin", "--ppo", "vin-iterations=8", "--ppo", "conv-channels=4", "--set", "size=5", "--steps", "1024", "--curve-points", "1", "--store", store);
        Assert.True(code == 0, error);
        (code, _, error) = CliTests.Run("train", "CheeseInTheCorner-v0", "--agent", "ppo", "--preset", "cnn", "--set", "size=5", "--steps", "1024", "--curve-points", "1", "--store", store);
        Assert.True(code == 0, error);

        // --network vin is the vin preset of ppo, and nothing else.
        foreach (var (bad, message) in new[]
        {
            (new[] { "--agent", "dqn", "--network", "vin" }, "error: --network vin applies to the ppo agent, not to 'dqn'."),
            (["--agent", "ppo", "--network", "vin", "--preset", "cnn"], "error: --network vin selects the vin preset; it contradicts --preset cnn."),
        })
        {
            (code, _, error) = CliTests.Run(["train", "CheeseInTheCorner-v0", .. bad, "--steps", "10", "--store", store]);
            Assert.Equal(2, code);
            Assert.Equal(message, error.Trim());
        }

        (code, var output, error) = CliTests.Run("mesa", "1", "--levels", "4", "--edit-all", "--json", "--store", store);
        Assert.True(code == 0, error);
        var json = JsonNode.Parse(output)!;
        Assert.Equal(4, (int)json["levels_read"]!);
        Assert.Equal(8, (int)json["iterations"]!);
        Assert.True((int)json["edits"]! > 0);
        Assert.Equal(25, json["level"]!["f_r"]!.AsArray().Count);

        // The move edit at strength 2: the JSON says which edit was measured.
        (code, output, error) = CliTests.Run("mesa", "1", "--levels", "2", "--edit-all", "--edit-kind", "move", "--edit-strength", "2", "--json", "--store", store);
        Assert.True(code == 0, error);
        json = JsonNode.Parse(output)!;
        Assert.Equal("move", (string)json["edit_kind"]!);
        Assert.Equal(2.0, (double)json["edit_strength"]!);
        Assert.InRange((double)json["edit_reach_after"]!, 0, 1);

        (code, output, error) = CliTests.Run("mesa", "1", "--levels", "3", "--level", "2", "--edit", "1,3", "--store", store);
        Assert.True(code == 0, error);
        Assert.Contains("f_R's maximum lies on", output, StringComparison.Ordinal);
        Assert.Contains("level 2:", output, StringComparison.Ordinal);

        foreach (var bad in new[]
        {
            new[] { "mesa", "1", "--edit", "9,9" },
            ["mesa", "1", "--edit", "x"],
            ["mesa", "1", "--edit", "1,3", "--edit-all"],
            ["mesa", "1", "--levels", "3", "--level", "3"],
            ["mesa", "1", "--levels", "0"],
            ["mesa", "1", "--distribution", "deplyo", "--levels", "2"],
            ["mesa", "2", "--levels", "2"],
            ["mesa", "7"],
            ["mesa", "1", "--levels", "2", "--edit-all", "--edit-strength", "-1"],
            ["mesa", "1", "--levels", "2", "--edit-all", "--edit-strength", "NaN"],
            ["mesa", "1", "--levels", "2", "--edit-all", "--edit-strength", "strong"],
            ["mesa", "1", "--levels", "2", "--edit-all", "--edit-kind", "swap"],
        })
        {
            (code, _, error) = CliTests.Run([.. bad, "--store", store]);
            Assert.True(code == 2, $"{string.Join(' ', bad)}: exit {code}, {error}");
            Assert.Single(error.TrimEnd().Split('\n'));
        }
    }
}
