using System.Text.Json.Nodes;

namespace AlignLab.Tests.Cli;

/// <summary><c>alignlab rlhf</c> and <c>overopt --proxy RUN</c> as a user runs them: results in the store, the report section, and one-line errors.</summary>
public sealed class RlhfCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignlab-rlhf-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void RlhfStoresEachRunReportsItAndItsRewardIsAnOveroptimisationProxy()
    {
        var store = Path.Combine(_dir, "runs.db");
        var (code, output, error) = CliTests.Run("rlhf", "RocksDiamonds-v0", "--level", "1", "--comparisons", "10,100", "--seeds", "2", "--labeller", "intended,constitution", "--store", store, "--json");
        Assert.True(code == 0, error);
        var json = JsonNode.Parse(output)!.AsObject();
        Assert.Equal(8, json["runs"]!.AsArray().Count);
        var settings = json["settings"]!.AsArray();
        Assert.Equal(4, settings.Count);
        var intended100 = settings.Single(s => (string)s!["labeller"]! == "intended" && (int)s["comparisons"]! == 100)!;
        Assert.All(intended100["runs"]!.AsArray(), r => Assert.True((double)r!["gap_worst"]! < 0.1));
        var constitution = settings.First(s => (string)s!["labeller"]! == "constitution")!;
        Assert.Equal(10, constitution["runs"]![0]!["principle_counts"]!.AsArray().Sum(c => (int)c!));

        var html = Path.Combine(_dir, "r.html");
        (code, output, error) = CliTests.Run("report", "1", "2", "3", "4", "5", "6", "7", "8", "--store", store, "--out", html);
        Assert.True(code == 0, error);
        Assert.Contains("1 section", output, StringComparison.Ordinal);
        var page = File.ReadAllText(html);
        Assert.Contains("Reward learned from preferences", page, StringComparison.Ordinal);
        Assert.Contains("Labels each principle decided", page, StringComparison.Ordinal);

        var run = (long)json["runs"]![2]!;
        (code, output, error) = CliTests.Run("overopt", "RocksDiamonds-v0", "--level", "1", "--proxy", run.ToString(System.Globalization.CultureInfo.InvariantCulture), "--store", store, "--betas", "5", "--samples", "64", "--json");
        Assert.True(code == 0, error);
        Assert.StartsWith($"learned reward of run {run}", (string)JsonNode.Parse(output)!["proxy"]!, StringComparison.Ordinal);

        (code, _, error) = CliTests.Run("overopt", "BoatRace-v0", "--proxy", run.ToString(System.Globalization.CultureInfo.InvariantCulture), "--store", store);
        Assert.Equal(2, code);
        Assert.Contains("not on BoatRace-v0", error, StringComparison.Ordinal);
    }

    [Fact]
    public void SegmentsCanComeFromAStoredRunsPolicyAndTheProxyReplaysThem()
    {
        var store = Path.Combine(_dir, "behaviour.db");
        var (code, _, error) = CliTests.Run("train", "BoatRace-v0", "--agent", "q", "--steps", "5000", "--store", store);
        Assert.True(code == 0, error);
        (code, var output, error) = CliTests.Run("rlhf", "BoatRace-v0", "--behaviour", "1", "--comparisons", "50", "--store", store, "--json");
        Assert.True(code == 0, error);
        var run = (long)JsonNode.Parse(output)!["runs"]![0]!;
        (code, output, error) = CliTests.Run("overopt", "BoatRace-v0", "--proxy", run.ToString(System.Globalization.CultureInfo.InvariantCulture), "--store", store, "--betas", "3", "--samples", "16", "--json");
        Assert.True(code == 0, error);
        Assert.Contains("learned reward of run 2", output, StringComparison.Ordinal);

        (code, output, error) = CliTests.Run("rlhf", "RocksDiamonds-v0", "--level", "1", "--behaviour", "1", "--store", store);
        Assert.Equal(2, code);
        Assert.Contains("trained on BoatRace-v0, not RocksDiamonds-v0", error, StringComparison.Ordinal);
        (code, _, error) = CliTests.Run("rlhf", "BoatRace-v0", "--behaviour", "2", "--store", store);
        Assert.Equal(2, code);
        Assert.Contains("RLHF run and has no policy", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--labeller", "intendd", "did you mean 'intended'")]
    [InlineData("--comparisons", "0", "--comparisons: '0'")]
    [InlineData("--comparisons", "-5", "--comparisons: '-5'")]
    [InlineData("--select", "activ", "did you mean 'active'")]
    [InlineData("--model", "cnn", "unknown reward model 'cnn'")]
    public void BadInputGetsOneLineAndExitTwo(string option, string value, string expected)
    {
        var (code, output, error) = CliTests.Run("rlhf", "BoatRace-v0", option, value, "--store", Path.Combine(_dir, "bad.db"));
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, output);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.False(File.Exists(Path.Combine(_dir, "bad.db")));
    }

    [Fact]
    public void AMalformedConstitutionIsLocated()
    {
        var file = Path.Combine(_dir, "bad.yaml");
        File.WriteAllText(file, "principles:\n  - text: go\n    weight: 1\n    rule: {enterr: G}\n");
        var (code, _, error) = CliTests.Run("rlhf", "BoatRace-v0", "--labeller", "constitution:" + file, "--store", Path.Combine(_dir, "c.db"));
        Assert.Equal(2, code);
        Assert.Contains("bad.yaml:4:", error, StringComparison.Ordinal);
        Assert.Contains("did you mean", error, StringComparison.Ordinal);
    }
}
