using AlignLab.Scenarios;

namespace AlignLab.Tests.Scenarios;

/// <summary>A table of broken scenario files: each gets one error with the right line, column and problem.</summary>
public sealed class BrokenScenarioTests
{
    private const string Valid = """
        id: Tiny-v0
        title: Tiny
        legend:
          '#': {name: wall, blocks: true}
          ' ': {name: floor}
          'A': {name: agent, agent: true}
          'G': {name: goal, touch: goal, terminal: true}
        levels:
          - |
            #####
            #A G#
            #####
        reward:
          step: -1
          goal: 10
        intended:
          goal: 1
        goals:
          goal: {goal: 1}
        """;

    public static TheoryData<string, string, string, int, int> Cases() => new()
    {
        // name, text replaced, replacement, expected line, expected column (0 = any)
        { "bad YAML", "title: Tiny", "title: [Tiny", 0, 0 },
        { "unknown top-level key", "title: Tiny", "titel: Tiny", 2, 1 },
        { "bad id", "id: Tiny-v0", "id: tiny", 1, 5 },
        { "legend key too long", "'G': {name: goal", "'GG': {name: goal", 7, 3 },
        { "unknown legend key", "touch: goal, terminal", "tuoch: goal, terminal", 7, 0 },
        { "blocks not a bool", "blocks: true}", "blocks: maybe}", 4, 0 },
        { "ragged map row", "    #A G#\n", "    #A G #\n", 11, 1 },
        { "char not in legend", "#A G#", "#A X#", 11, 4 },
        { "no agent on the map", "#A G#", "#  G#", 9, 0 },
        { "unknown event in reward", "  goal: 10", "  gaol: 10", 15, 3 },
        { "weight not a number", "  goal: 10", "  goal: ten", 15, 9 },
        { "unknown component", "levels:", "components:\n  - type: clockwise_arowz\nlevels:", 9, 5 },
        { "distribution with a missing level", "reward:", "distributions:\n  train: [3]\nreward:", 14, 11 },
        { "max_steps not an integer", "title: Tiny", "title: Tiny\nmax_steps: lots", 3, 12 },
        { "duplicate key", "title: Tiny", "title: Tiny\ntitle: Again", 3, 0 },
        { "no levels", "levels:", "levelz:", 8, 1 },
    };

    [Fact]
    public void TheValidBaseParses()
    {
        var scenario = ScenarioParser.Parse(Valid, "tiny.yaml");
        Assert.Equal("Tiny-v0", scenario.Id);
        Assert.Equal(1, scenario.LevelCount);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void BrokenFilesGetOneLocatedError(string name, string find, string replace, int line, int column)
    {
        Assert.Contains(find, Valid, StringComparison.Ordinal);
        var text = Valid.Replace(find, replace, StringComparison.Ordinal);
        var error = Assert.Throws<ScenarioException>(() => ScenarioParser.Parse(text, "broken.yaml"));
        Assert.Equal("broken.yaml", error.Source);
        if (line == 0)
        {
            Assert.True(error.Line > 0, $"{name}: no line number: {error.Message}");
            Assert.StartsWith("broken.yaml:", error.Message, StringComparison.Ordinal);
            return;
        }

        Assert.True(error.Line == line, $"{name}: line {error.Line}, expected {line}: {error.Message}");
        if (column > 0)
        {
            Assert.True(error.Column == column, $"{name}: column {error.Column}, expected {column}: {error.Message}");
        }

        Assert.StartsWith($"broken.yaml:{line}:", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void MisspellingsGetSuggestions()
    {
        var error = Assert.Throws<ScenarioException>(() => ScenarioParser.Parse(Valid.Replace("  goal: 10", "  gaol: 10", StringComparison.Ordinal), "x.yaml"));
        Assert.Contains("did you mean 'goal'", error.Message, StringComparison.Ordinal);
        var unknown = Assert.Throws<ScenarioException>(() => ScenarioRegistry.BuiltIn.Get("BoatRaec-v0"));
        Assert.Contains("BoatRace-v0", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BadParametersAreRejectedWithTheirNames()
    {
        var tomato = ScenarioRegistry.BuiltIn.Get("TomatoWatering-v0");
        var unknown = Assert.Throws<ScenarioException>(() => tomato.Build(new BuildOptions(Set: new Dictionary<string, string> { ["dry_probabilty"] = "0.1" })));
        Assert.Contains("did you mean 'dry_probability'", unknown.Message, StringComparison.Ordinal);
        var badValue = Assert.Throws<ScenarioException>(() => tomato.Build(new BuildOptions(Set: new Dictionary<string, string> { ["dry_probability"] = "often" })));
        Assert.Contains("a number", badValue.Message, StringComparison.Ordinal);
        var badLevel = Assert.Throws<ScenarioException>(() => tomato.Build(new BuildOptions(Level: 4)));
        Assert.Contains("no level 4", badLevel.Message, StringComparison.Ordinal);
    }
}
