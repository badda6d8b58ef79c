using AlignLab.Errors;
using AlignLab.Grid;
using AlignLab.Scenarios;
using AlignLab.Scenarios.Reading;

namespace AlignLab.Tests.Scenarios;

/// <summary>
/// The compile stage: the definition holds what the file says (tiles, maps, distributions,
/// parameters with their kinds, objectives), and problems found after reading — when compiling
/// or when building — are still reported at the file location of their cause.
/// </summary>
public sealed class ScenarioCompilerTests
{
    private static readonly ScenarioDefinition Sample = ScenarioParser.Parse(SampleScenario.Yaml, SampleScenario.File);

    private static ScenarioException Broken(string find, string replace) =>
        Assert.Throws<ScenarioException>(() => ScenarioParser.Parse(SampleScenario.With(find, replace), SampleScenario.File));

    private static void AssertAt(ScenarioException error, string text, string lineStart, string token, string problem)
    {
        var (line, column) = SampleScenario.Find(text, lineStart, token);
        Assert.Equal($"{SampleScenario.File}:{line}:{column}: {problem}", error.Message);
    }

    [Fact]
    public void TheDefinitionHoldsWhatTheFileSays()
    {
        Assert.Equal(("Sample-v1", "Sample", string.Empty, 20, "UDLRN"), (Sample.Id, Sample.Title, Sample.Description, Sample.MaxSteps, Sample.Actions));
        Assert.Equal('A', Sample.AgentSymbol);
        Assert.Equal(new Tile('#', "wall", true, null, false, null), Sample.Legend['#']);
        Assert.Equal(new Tile('C', "coin", false, "coin", false, ' '), Sample.Legend['C']);
        Assert.Equal(new Tile('G', "goal", false, "goal", true, null), Sample.Legend['G']);
        Assert.Equal(1, Sample.LevelCount);
        Assert.Equal("#####\n#AC #\n#  G#\n#####\n", Sample.LevelArt(0));
        Assert.Equal(["train", "room"], Sample.DistributionNames);
        Assert.Equal([0], Sample.Distributions["train"]);
        Assert.Equal("open_room", Sample.GeneratedDistributions["room"]);
        Assert.Equal(30, Sample.DistributionMaxSteps["room"]);
        Assert.Equal(["end_when_cleared"], Sample.ComponentNames);
        Assert.Equal([("step", "-1"), ("coin", "$bonus"), ("goal", "10")], Sample.RewardTerms);
        Assert.Equal([("goal", "1")], Sample.IntendedTerms);
        Assert.Equal(["coin", "goal"], Sample.GoalTerms.Select(g => g.Name));
        Assert.Equal(new Dictionary<string, string> { ["bonus"] = "2", ["noisy"] = "false", ["rate"] = "0.5", ["label"] = "red", ["size"] = "7" }, Sample.ParameterDefaults);
    }

    [Fact]
    public void TheFixedLevelHoldsTheTileUnderTheAgentAtItsStart()
    {
        var level = Sample.Build(new BuildOptions(Level: 0)).Levels[0];
        Assert.Equal(6, level.AgentStart);
        Assert.Equal((byte)' ', level.Cells[level.AgentStart]);
    }

    [Fact]
    public void GeneratorArgumentsAreResolvedFromParametersWhenBuilt()
    {
        var world = Sample.Build(new BuildOptions(Distribution: "room", Set: new Dictionary<string, string> { ["size"] = "9" }));
        var rng = new AlignLab.Randomness.Rng(1);
        var level = world.Generator!.Sample(ref rng);
        Assert.Equal((9, 7), (level.Height, level.Width));
        Assert.Equal(30, world.MaxSteps);
    }

    [Theory]
    [InlineData("true", "Bool")]
    [InlineData("false", "Bool")]
    [InlineData("7", "Int")]
    [InlineData("-3", "Int")]
    [InlineData("0.5", "Number")]
    [InlineData("1e-3", "Number")]
    [InlineData("red", "Text")]
    [InlineData("True", "Text")]
    public void AParameterTakesTheKindOfItsDefault(string value, string kind) =>
        Assert.Equal(Enum.Parse<ParameterKind>(kind), ScenarioCompiler.KindOf(value));

    [Fact]
    public void SetValuesAreCheckedAgainstTheParameterKind()
    {
        Assert.Equal(ParameterKind.Int, Sample.ParameterEntries["bonus"].Kind);
        Assert.Equal(ParameterKind.Bool, Sample.ParameterEntries["noisy"].Kind);
        Assert.Equal(ParameterKind.Number, Sample.ParameterEntries["rate"].Kind);
        Assert.Equal(ParameterKind.Text, Sample.ParameterEntries["label"].Kind);

        string Rejected(string key, string value) =>
            Assert.Throws<ScenarioException>(() => Sample.Build(new BuildOptions(Set: new Dictionary<string, string> { [key] = value }))).Message;

        Assert.Equal("--set bonus=1.5: Sample-v1's parameter 'bonus' takes an integer.", Rejected("bonus", "1.5"));
        Assert.Equal("--set noisy=yes: Sample-v1's parameter 'noisy' takes true or false.", Rejected("noisy", "yes"));
        Assert.Equal("--set rate=fast: Sample-v1's parameter 'rate' takes a number.", Rejected("rate", "fast"));
        Assert.Equal("--set rate=9: '9' is not one of 0.25, 0.5.", Rejected("rate", "9"));
        Assert.Equal("--set rate=0.75: '0.75' is not one of 0.25, 0.5 (did you mean '0.25' or '0.5'?).", Rejected("rate", "0.75"));
        Assert.NotNull(Sample.Build(new BuildOptions(Set: new Dictionary<string, string> { ["label"] = "anything", ["rate"] = "0.25" })));
    }

    [Fact]
    public void ErrorsFoundWhenCompilingPointAtTheirCause()
    {
        var text = SampleScenario.With("actions: UDLRN", "actions: UDLRX");
        AssertAt(Broken("actions: UDLRN", "actions: UDLRX"), text, "actions:", "UDLRX", $"actions 'UDLRX' must be distinct letters from {Moves.AllLetters}.");

        text = SampleScenario.With("{default: 0.5, choices", "{default: 0.3, choices");
        AssertAt(Broken("{default: 0.5, choices", "{default: 0.3, choices"), text, "  rate:", "0.3", "parameter 'rate': default '0.3' is not among its choices.");

        text = SampleScenario.With("collect: ' '}", "collect: 'x'}");
        AssertAt(Broken("collect: ' '}", "collect: 'x'}"), text, "  'C'", "{", "legend entry 'C': collect leaves 'x', which the legend does not define.");

        text = SampleScenario.With("max_steps: 30}", "max_steps: 0}");
        AssertAt(Broken("max_steps: 30}", "max_steps: 0}"), text, "  room:", "0}", "distribution 'room': max_steps must be at least 1.");

        // Map cells are located by their row's line and their column within the map.
        var (line, _) = SampleScenario.Find(SampleScenario.Yaml, "    #  G#", "#");
        Assert.Equal($"{SampleScenario.File}:{line}:2: level 0: a second agent 'A' at row 2, column 1.", Broken("    #  G#\n", "    #A G#\n").Message);
    }

    [Fact]
    public void ErrorsFoundWhenBuildingPointAtTheirCause()
    {
        var text = SampleScenario.With("  coin: $bonus", "  coin: $label");
        AssertAt(Broken("  coin: $bonus", "  coin: $label"), text, "  coin: $", "$label", "reward: the weight of 'coin' must be a number, not 'red'.");

        text = SampleScenario.With("  coin: $bonus", "  coin: $bonsu");
        AssertAt(Broken("  coin: $bonus", "  coin: $bonsu"), text, "  coin: $", "$bonsu", "reward: unknown parameter '$bonsu'.");

        text = SampleScenario.With("{symbol: C}", "{symbol: [C]}");
        AssertAt(Broken("{symbol: C}", "{symbol: [C]}"), text, "    with:", "[C]", "component 'end_when_cleared' argument 'symbol' must be a single value.");

        text = SampleScenario.With("{symbol: C}", "{symbol: CC}");
        AssertAt(Broken("{symbol: C}", "{symbol: CC}"), text, "    with:", "CC", "component 'end_when_cleared': 'symbol' must be one map character, not 'CC'.");

        text = SampleScenario.With("height: $size", "height: $sise");
        AssertAt(Broken("height: $size", "height: $sise"), text, "  room:", "$sise", "generator 'open_room': unknown parameter '$sise' (did you mean 'size'?).");

        text = SampleScenario.With("generator: open_room", "generator: open_rom");
        AssertAt(Broken("generator: open_room", "generator: open_rom"), text, "  room:", "{", "unknown level generator 'open_rom' (did you mean 'open_room'?).");

        text = SampleScenario.With("objects: CG}", "objects: CGX}");
        AssertAt(Broken("objects: CG}", "objects: CGX}"), text, "  room:", "{", "generator 'open_room' writes 'X', which the legend does not define.");
    }

    [Fact]
    public void MissingPartsAreReportedAtTheTopInTheOrderTheyAreNeeded()
    {
        var noReward = SampleScenario.With("reward:\n  step: -1\n  coin: $bonus\n  goal: 10\n", string.Empty);
        var error = Assert.Throws<ScenarioException>(() => ScenarioParser.Parse(noReward, SampleScenario.File));
        Assert.Equal($"{SampleScenario.File}:1:1: the scenario needs a 'reward' entry.", error.Message);

        // The legend is compiled before the missing objectives are noticed.
        var bare = Assert.Throws<ScenarioException>(() => ScenarioParser.Parse("id: Broken-v0\nlegend: {}\n", "bare.yaml"));
        Assert.Equal("bare.yaml:2:9: legend: no entry is marked 'agent: true'.", bare.Message);
        var noLegend = Assert.Throws<ScenarioException>(() => ScenarioParser.Parse("id: Broken-v0\n", "bare.yaml"));
        Assert.Equal("bare.yaml:1:1: the scenario needs a 'legend' entry.", noLegend.Message);
    }

    [Fact]
    public void CompilingTheSyntaxGivesTheSameDefinitionAsParsing()
    {
        foreach (var id in ScenarioRegistry.BuiltIn.Ids)
        {
            var file = Path.Combine(Support.Repo.Root, "scenarios", $"{id}.yaml");
            var syntax = YamlScenarioReader.Read(File.ReadAllText(file), file);
            var compiled = ScenarioCompiler.Compile(syntax);
            var registered = ScenarioRegistry.BuiltIn.Get(id);
            Assert.Equal(registered.Id, compiled.Id);
            Assert.Equal(registered.DistributionNames, compiled.DistributionNames);
            Assert.Equal(registered.ParameterDefaults, compiled.ParameterDefaults);
            Assert.Equal(registered.RewardTerms, compiled.RewardTerms);

            // Each fixed map is the art as written, with the tile under the agent filled in.
            Assert.Equal(syntax.Levels?.Value.Count ?? 0, compiled.LevelCount);
            for (var level = 0; level < compiled.LevelCount; level++)
            {
                Assert.Equal(syntax.Levels!.Value.Value[level].Art.TrimEnd('\n') + "\n", compiled.LevelArt(level));
            }

            Assert.Equal(syntax.Legend!.Entries.Select(e => e.Key.Value[0]), compiled.Legend.Keys);
        }
    }

    [Fact]
    public void ScenarioErrorsAreUserInput()
    {
        var error = Assert.ThrowsAny<UserInputException>(() => ScenarioParser.Parse(SampleScenario.With("id: Sample-v1", "id: sample"), SampleScenario.File));
        var scenario = Assert.IsType<ScenarioException>(error);
        Assert.Equal((1, 5), (scenario.Line, scenario.Column));
        Assert.Equal($"{SampleScenario.File}:1:5: id 'sample' must look like Name-vN (letters and digits, then -v and a version number).", error.Message);
    }
}
