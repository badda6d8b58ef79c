using AlignLab.Errors;
using AlignLab.Overoptimisation;
using AlignLab.Scenarios;
using AlignLab.Tests.Cli;

namespace AlignLab.Tests.Overoptimisation;

/// <summary>The whole analysis and the <c>alignlab overopt</c> command.</summary>
public sealed class OveroptimisationAnalysisTests
{
    [Fact]
    public void TheReportIsConsistentAndDeterministic()
    {
        var world = ScenarioRegistry.BuiltIn.Get("SideEffectsSokoban-v0").Build(new BuildOptions(Level: 0));
        var options = new OveroptimisationOptions { Betas = 6, Samples = 256, Seed = 5 };
        var a = OveroptimisationAnalysis.Analyze(world, options);
        var b = OveroptimisationAnalysis.Analyze(world, options);
        Assert.Equal(a.BestOfN, b.BestOfN);
        Assert.Equal(a.Rl, b.Rl);
        Assert.Equal(6, a.Rl.Count);
        Assert.Equal([1, 2, 4, 8, 16, 32, 64], a.BestOfN.Select(p => p.N));
        Assert.Equal(a.ProxyOptimal, a.Rl[^1].Proxy, 3);
        Assert.All(a.Rl, p => Assert.InRange(p.Proxy, a.ReferenceProxy - 1e-9, a.ProxyOptimal + 1e-9));
        Assert.True(a.GoldOptimal >= a.Rl.Max(p => p.Gold) - 1e-9);
        var other = OveroptimisationAnalysis.Analyze(world, options with { Seed = 6 });
        Assert.NotEqual(a.BestOfN[1].Gold, other.BestOfN[1].Gold);
    }

    [Fact]
    public void RisesThenFallsNeedsAnInteriorPeak()
    {
        Assert.True(OveroptimisationAnalysis.RisesThenFalls([0.0, 2, 1]));
        Assert.False(OveroptimisationAnalysis.RisesThenFalls([0.0, 1, 2]));
        Assert.False(OveroptimisationAnalysis.RisesThenFalls([2.0, 1, 0]));
        Assert.False(OveroptimisationAnalysis.RisesThenFalls([0.0, 1]));
    }

    [Theory]
    [InlineData(1, 100)]
    [InlineData(10, 3)]
    public void OptionsOutOfRangeAreUserErrors(int betas, int samples) =>
        Assert.Throws<UserInputException>(() => new OveroptimisationOptions { Betas = betas, Samples = samples }.Validate());

    [Fact]
    public void TheCommandPrintsJsonAndRejectsBadInputInOneLine()
    {
        var (code, output, error) = CliTests.Run("overopt", "RocksDiamonds-v0", "--level", "1", "--betas", "4", "--samples", "64", "--json");
        Assert.True(code == 0, error);
        var json = System.Text.Json.Nodes.JsonNode.Parse(output)!.AsObject();
        Assert.Equal(4, json["rl"]!.AsArray().Count);
        Assert.Equal(193, json["proxy_optimal"]!.GetValue<double>(), 9);
        Assert.Single(json["phase_transitions"]!.AsArray());

        var (bad, _, message) = CliTests.Run("overopt", "BoatRace-v0", "--betas", "1");
        Assert.Equal(2, bad);
        Assert.Single(message.Trim().Split('\n'));
        Assert.Contains("--betas", message, StringComparison.Ordinal);
        var (unknown, _, _) = CliTests.Run("overopt", "NoSuchScenario-v0");
        Assert.Equal(2, unknown);
    }
}
