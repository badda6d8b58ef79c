using System.Text.Json.Nodes;
using AlignLab.Tests.Cli;

namespace AlignLab.Tests.Parallel;

/// <summary><c>--jobs</c> and <c>--threads</c> on the command line, as a user runs them.</summary>
public sealed class ParallelCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignlab-parallel-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ASweepOnTwoJobsPrintsWhatItPrintsOnOne()
    {
        string[] sweep = ["sweep", "CoinAtTheEnd-v0", "--param", "width=6,8", "--agent", "q", "--steps", "3000", "--seeds", "2"];
        var (code, one, error) = CliTests.Run([.. sweep, "--jobs", "1", "--threads", "1", "--store", Path.Combine(_dir, "one.db")]);
        Assert.True(code == 0, error);
        (code, var two, error) = CliTests.Run([.. sweep, "--jobs", "2", "--threads", "2", "--store", Path.Combine(_dir, "two.db")]);
        Assert.True(code == 0, error);

        // The table is the same but for the store's name in the header line.
        Assert.Equal(one.Split('\n').Skip(1), two.Split('\n').Skip(1));
        Assert.Equal(3, one.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        // Every run is recorded, in the sweep's order, with the same result as on one job.
        var runsOne = StoredRuns(Path.Combine(_dir, "one.db"));
        var runsTwo = StoredRuns(Path.Combine(_dir, "two.db"));
        Assert.Equal(4, runsOne.Count);
        Assert.Equal(runsOne, runsTwo);
    }

    [Theory]
    [InlineData("--threads", "0")]
    [InlineData("--threads", "many")]
    [InlineData("--jobs", "-1")]
    [InlineData("--jobs", "5000")]
    public void ABadCountIsOneLineAndExitCodeTwo(string option, string value)
    {
        var store = Path.Combine(_dir, "bad.db");
        var (code, output, error) = CliTests.Run("sweep", "CoinAtTheEnd-v0", "--param", "width=6", "--agent", "q", "--steps", "100", "--seeds", "1", option, value, "--store", store);
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, output);
        var line = Assert.Single(error.TrimEnd().Split('\n'));
        Assert.Contains(option, line, StringComparison.Ordinal);
        Assert.False(File.Exists(store));

        (code, _, error) = CliTests.Run("solve", "BoatRace-v0", "--threads", "0");
        Assert.Equal(2, code);
        Assert.Single(error.TrimEnd().Split('\n'));
    }

    /// <summary>Each stored run's id, scenario parameters, seed, status and result (minus times and speeds), in id order.</summary>
    private static List<string> StoredRuns(string store)
    {
        using var runs = AlignLab.Runs.RunStore.OpenReadOnly(store);
        return [.. runs.ListRuns().OrderBy(r => r.Id).Select(r => $"{r.Id} {string.Join(",", (r.Config.Parameters ?? new Dictionary<string, string>()).Select(kv => $"{kv.Key}={kv.Value}"))} seed {r.Config.Seed} {r.Status} {Timeless(r.ResultJson)}")];
    }

    /// <summary>A result's JSON without the members that measure time (they differ between any two runs).</summary>
    private static string Timeless(string? json)
    {
        if (json is null)
        {
            return "none";
        }

        static JsonNode? Clean(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var key in o.Select(kv => kv.Key).ToList())
                    {
                        if (key.Contains("second", StringComparison.OrdinalIgnoreCase) || key.Contains("time", StringComparison.OrdinalIgnoreCase))
                        {
                            o.Remove(key);
                        }
                        else
                        {
                            Clean(o[key]);
                        }
                    }

                    break;
                case JsonArray a:
                    foreach (var item in a)
                    {
                        Clean(item);
                    }

                    break;
            }

            return node;
        }

        return Clean(JsonNode.Parse(json))!.ToJsonString();
    }
}
