using AlignLab.Scenarios;
using AlignLab.Scenarios.Reading;

namespace AlignLab.Tests.Scenarios;

/// <summary>
/// The reading stage: YAML becomes typed syntax records that carry the file, line and column of
/// what they hold; the shape is checked here, the meaning only when compiled.
/// </summary>
public sealed class YamlScenarioReaderTests
{
    private static readonly ScenarioSyntax Sample = YamlScenarioReader.Read(SampleScenario.Yaml, SampleScenario.File);

    private static SourceLocation At(string lineStart, string token)
    {
        var (line, column) = SampleScenario.Find(SampleScenario.Yaml, lineStart, token);
        return new SourceLocation(SampleScenario.File, line, column);
    }

    [Fact]
    public void TopLevelValuesAreTypedAndLocated()
    {
        Assert.Equal(new SourceLocation(SampleScenario.File, 1, 1), Sample.At);
        Assert.Equal(new Located<string>("Sample-v1", At("id:", "Sample-v1")), Sample.Id);
        Assert.Equal("Sample", Sample.Title);
        Assert.Null(Sample.Description);
        Assert.Equal(new Located<int>(20, At("max_steps:", "20")), Sample.MaxSteps);
        Assert.Equal(new Located<string>("UDLRN", At("actions:", "UDLRN")), Sample.Actions);
    }

    [Fact]
    public void ParametersKeepTheirDefaultsAsWrittenAndTheirChoices()
    {
        Assert.Equal(["bonus", "noisy", "rate", "label", "size"], Sample.Parameters.Select(p => p.Name));
        var rate = Sample.Parameters[2];
        Assert.Equal(new Located<string>("0.5", At("  rate:", "0.5")), rate.Default);
        Assert.Equal(["0.25", "0.5"], rate.Choices!);
        Assert.Null(Sample.Parameters[0].Choices);
        Assert.Equal(At("  label:", "red"), Sample.Parameters[3].Default.At);
    }

    [Fact]
    public void LegendEntriesCarryTheirKeyAndValueLocations()
    {
        var legend = Sample.Legend!;
        Assert.Equal(At("  '#'", "'#'"), legend.At);
        Assert.Equal(["#", " ", "A", "C", "G"], legend.Entries.Select(e => e.Key.Value));
        var coin = legend.Entries[3];
        Assert.Equal(At("  'C'", "'C'"), coin.Key.At);
        Assert.Equal(At("  'C'", "{"), coin.At);
        Assert.Equal(("coin", "coin", false, false, false), (coin.Name, coin.Touch, coin.Blocks, coin.Terminal, coin.Agent));
        Assert.Equal(new Located<string>(" ", At("  'C'", "' '}")), coin.Collect);
        Assert.True(legend.Entries[2].Agent);
        Assert.True(legend.Entries[0].Blocks);
        Assert.True(legend.Entries[4].Terminal);
    }

    [Fact]
    public void LevelsKeepTheirArtAndTheLineOfTheirFirstRow()
    {
        var (levels, at) = Sample.Levels!.Value;
        Assert.Equal(At("  - |", "-"), at);
        var level = Assert.Single(levels);
        Assert.Equal("#####\n#AC #\n#  G#\n#####\n", level.Art);
        Assert.Equal(At("  - |", "|"), level.At);
        Assert.Equal(level.At.Line + 1, level.FirstLine);
    }

    [Fact]
    public void DistributionsAreFixedOrGeneratedWithArgumentsAsWritten()
    {
        var distributions = Sample.Distributions!;
        Assert.Equal(At("  train:", "train"), distributions.At);
        var train = Assert.IsType<FixedDistributionSyntax>(distributions.Entries[0]);
        Assert.Equal(new Located<string>("train", At("  train:", "train")), train.Name);
        Assert.Equal([new Located<int>(0, At("  train:", "0"))], train.Levels);

        var room = Assert.IsType<GeneratedDistributionSyntax>(distributions.Entries[1]);
        Assert.Equal("open_room", room.Generator.Type);
        Assert.Equal(At("  room:", "{generator"), room.Generator.At);
        Assert.Equal(new Located<int>(30, At("  room:", "30")), room.MaxSteps);
        Assert.Equal(
            [
                new ComponentArgument("height", "$size", At("  room:", "$size")),
                new ComponentArgument("width", "7", At("  room:", "7")),
                new ComponentArgument("objects", "CG", At("  room:", "CG")),
            ],
            room.Generator.Arguments);
    }

    [Fact]
    public void ComponentsAndGeneratorsShareOneArgumentReader()
    {
        var component = Assert.Single(Sample.Components);
        Assert.Equal("end_when_cleared", component.Type);
        Assert.Equal(At("  - type:", "type"), component.At);
        Assert.Equal([new ComponentArgument("symbol", "C", At("    with:", "C}"))], component.Arguments);

        // A list where one value belongs is kept (as no text) for the component to report when it reads it.
        var listed = YamlScenarioReader.Read(SampleScenario.With("{symbol: C}", "{symbol: [C]}"), SampleScenario.File);
        var argument = Assert.Single(Assert.Single(listed.Components).Arguments);
        Assert.Null(argument.Text);

        // The same malformed `with:` gets the same error, naming the kind of entry, in both places.
        var badComponent = Assert.Throws<ScenarioException>(() => YamlScenarioReader.Read(SampleScenario.With("with: {symbol: C}", "with: [C]"), SampleScenario.File));
        Assert.Equal("component 'end_when_cleared' with must be a mapping (key: value lines).", badComponent.Problem);
        var text = SampleScenario.With("with: {height: $size, width: 7, objects: CG}", "with: 7");
        var generator = Assert.Throws<ScenarioException>(() => YamlScenarioReader.Read(text, SampleScenario.File));
        Assert.Equal("generator 'open_room' with must be a mapping (key: value lines).", generator.Problem);
        Assert.Equal(SampleScenario.Find(text, "  room:", "7,"), (generator.Line, generator.Column));
    }

    [Fact]
    public void ObjectivesKeepEventAndWeightLocations()
    {
        var reward = Sample.Reward!;
        Assert.Equal("reward", reward.Name);
        Assert.Equal(
            [
                new ObjectiveTerm(new Located<string>("step", At("  step:", "step")), new Located<string>("-1", At("  step:", "-1"))),
                new ObjectiveTerm(new Located<string>("coin", At("  coin: $", "coin")), new Located<string>("$bonus", At("  coin: $", "$bonus"))),
                new ObjectiveTerm(new Located<string>("goal", At("  goal: 10", "goal")), new Located<string>("10", At("  goal: 10", "10"))),
            ],
            reward.Terms);
        Assert.Equal(["coin", "goal"], Sample.Goals.Select(g => g.Name));
        Assert.Equal(At("  coin: {", "coin: 1"), Sample.Goals[0].Terms[0].Event.At);
    }

    [Fact]
    public void TheReaderChecksShapeButNotMeaning()
    {
        // A malformed id, an impossible level number and a missing reward are well-shaped YAML: the compiler reports them.
        var text = SampleScenario.With("id: Sample-v1", "id: sample")
            .Replace("train: [0]", "train: [9]", StringComparison.Ordinal)
            .Replace("reward:\n  step: -1\n  coin: $bonus\n  goal: 10\n", string.Empty, StringComparison.Ordinal);
        var syntax = YamlScenarioReader.Read(text, SampleScenario.File);
        Assert.Equal("sample", syntax.Id!.Value.Value);
        Assert.Null(syntax.Reward);

        // A value of the wrong type is a shape error, reported by the reader.
        var error = Assert.Throws<ScenarioException>(() => YamlScenarioReader.Read(SampleScenario.With("max_steps: 20", "max_steps: many"), SampleScenario.File));
        Assert.Equal($"{SampleScenario.File}:3:12: max_steps must be an integer, not 'many'.", error.Message);
    }
}
