using System.Text;
using AlignLab.Envs;
using AlignLab.Errors;
using AlignLab.Scenarios;
using AlignLab.Tests.Cli;
using AlignLab.Tests.Support;

namespace AlignLab.Tests.Hostile;

/// <summary>
/// Hostile scenario files from the audit (issue 17): each is refused with one located line, not a
/// stack trace, and never accepted when it cannot work.
/// </summary>
public sealed class ScenarioValidationTests
{
    private const string File = "Hostile-v0.yaml";

    /// <summary>A 3×5 room with a goal; <c>COMPONENTS</c> is replaced by the components list (line 8 on).</summary>
    private const string Base = """
        id: Hostile-v0
        title: Hostile
        legend:
          '#': {name: wall, blocks: true}
          ' ': {name: floor}
          'A': {name: agent, agent: true}
          'G': {name: goal, touch: goal, terminal: true}
        components:
        COMPONENTS
        levels:
          - |
            #####
            #A G#
            #####
        reward:
          goal: 1
        intended:
          goal: 1
        """;

    private static string With(string components) => Base.Replace("COMPONENTS", components.TrimEnd('\n'), StringComparison.Ordinal);

    private static ScenarioException Refused(string yaml, string source = File) =>
        Assert.Throws<ScenarioException>(() => ScenarioParser.Parse(yaml, source));

    private static void AssertOneLine(ScenarioException error, int line, int column, string contains)
    {
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.Contains(contains, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.DoesNotContain("(Parameter", error.Message, StringComparison.Ordinal);
    }

    // Item 2: the same component listed twice.
    [Theory]
    [InlineData("reach_cell", "{event: corner, row: 1, col: 1}")]
    [InlineData("pickup_and_use", "{item: G, target: A, held: '#', floor: ' '}")]
    public void AComponentListedTwiceIsReportedAtItsSecondEntry(string type, string with)
    {
        var entry = $"  - type: {type}\n    with: {with}\n";
        var error = Refused(With(entry + entry));
        AssertOneLine(error, 11, 5, "is declared twice");
        Assert.StartsWith($"{File}:11:5: component '{type}': ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ConveyorBeltListedTwiceIsReportedAtItsSecondEntry()
    {
        var text = System.IO.File.ReadAllText(Path.Combine(Repo.Root, "scenarios", "ConveyorBelt-v0.yaml"));
        const string Entry = "  - type: conveyor_belt\n    with: {variant: $variant}\n";
        Assert.Contains(Entry, text, StringComparison.Ordinal);
        var line = text[..text.IndexOf(Entry, StringComparison.Ordinal)].Count(c => c == '\n') + 1;
        var error = Refused(text.Replace(Entry, Entry + Entry, StringComparison.Ordinal), "ConveyorBelt-v0.yaml");
        AssertOneLine(error, line + 2, 5, "state variable 'object_cell' is declared twice");
    }

    [Fact]
    public void TheCheckCommandReportsAComponentListedTwiceAsOneLineWithExitCode2()
    {
        var path = Path.Combine(Path.GetTempPath(), $"alignlab-dup-{Environment.ProcessId}.yaml");
        var entry = "  - type: reach_cell\n    with: {event: corner, row: 1, col: 1}\n";
        System.IO.File.WriteAllText(path, With(entry + entry));
        try
        {
            var (code, _, err) = CliTests.Run("check", path);
            Assert.Equal(2, code);
            Assert.Equal($"error: {path}:11:5: component 'reach_cell': state variable 'reached_corner' is declared twice (is the component listed twice?).", err.Trim());
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    // Item 3: more events than a world may have.
    [Fact]
    public void ThreeHundredEventsAreRefusedWithTheLimitNamed()
    {
        var components = string.Concat(Enumerable.Range(0, 300).Select(i => $"  - type: reach_cell\n    with: {{event: e{i}, row: 1, col: 1, once: false}}\n"));
        var error = Refused(With(components));

        // step and goal are events 0 and 1, so the 254th component brings the 256th event.
        AssertOneLine(error, 8 + (253 * 2) + 1, 5, "256 events, more than the 255 a world may have");
    }

    // Item 18: components that can never act.
    [Fact]
    public void AWanderSymbolNotInTheLegendIsRefusedAtTheArgument()
    {
        var error = Refused(With("  - type: wander\n    with: {symbol: Z, probability: 0.5}\n"));
        AssertOneLine(error, 10, 20, "component 'wander': 'symbol' is 'Z', which is not in the legend (' ', '#', 'A', 'G').");
    }

    [Fact]
    public void AWanderSymbolThatIsNotAByteIsRefusedAtTheArgument()
    {
        var error = Refused(With("  - type: wander\n    with: {symbol: é, probability: 0.5}\n"));
        AssertOneLine(error, 10, 20, "'symbol' must be one printable ASCII map character, not 'é'.");
    }

    [Fact]
    public void AReachCellOutsideTheMapIsRefusedAtTheArgument()
    {
        var row = Refused(With("  - type: reach_cell\n    with: {event: far, row: 100, col: -100}\n"));
        AssertOneLine(row, 10, 29, "'row' is 100, but the map has 3 rows");
        var col = Refused(With("  - type: reach_cell\n    with: {event: far, row: 1, col: -100}\n"));
        AssertOneLine(col, 10, 37, "'col' is -100, but the map has 5 columns");

        // Counting from the far edge still works: −1 is the last row.
        ScenarioParser.Parse(With("  - type: reach_cell\n    with: {event: far, row: -3, col: 4}\n"), File);
    }

    // Item 19: a file that is not UTF-8.
    [Fact]
    public void ALatin1FileIsRefusedAtItsFirstBadByte()
    {
        var path = Path.Combine(Path.GetTempPath(), $"alignlab-latin1-{Environment.ProcessId}.yaml");
        var text = With(string.Empty).Replace("components:\n\n", string.Empty, StringComparison.Ordinal).Replace("title: Hostile", "title: Café", StringComparison.Ordinal);
        System.IO.File.WriteAllBytes(path, Encoding.Latin1.GetBytes(text));
        try
        {
            var error = Assert.Throws<ScenarioException>(() => ScenarioParser.ParseFile(path));
            AssertOneLine(error, 2, 11, "byte 0xE9 is not valid UTF-8");
            Assert.DoesNotContain('\uFFFD', error.Message);

            // The same text as UTF-8 (with or without a byte-order mark) is read as written.
            System.IO.File.WriteAllText(path, text, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
            Assert.Equal("Café", ScenarioParser.ParseFile(path).Title);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    // Item 27: message quality.
    [Fact]
    public void MessagesDoNotEndWithDotNetParameterNames()
    {
        var env = EnvironmentFactory.Make("BoatRace-v0");
        var error = Assert.Throws<UserInputException>(() => ActionScript.Parse(env.Env.Spec, "UZ"));
        Assert.Equal("action 'Z' at position 2 is not one of BoatRace-v0's actions (UDLR).", error.Message);
    }

    [Fact]
    public void GeneratorsAreCalledGenerators()
    {
        var text = System.IO.File.ReadAllText(Path.Combine(Repo.Root, "scenarios", "MonsterWorld-v0.yaml"));
        var error = Refused(text.Replace("objects: MMssaa}", "objects: MMssaa, sise: 3}", StringComparison.Ordinal), "MonsterWorld-v0.yaml");
        Assert.Contains("generator 'tree_maze' has no argument 'sise'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("component 'tree_maze'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ALevelOfAGeneratedScenarioSaysItsDistributionsAreGenerated()
    {
        var error = Assert.Throws<ScenarioException>(() => ScenarioRegistry.BuiltIn.Get("MonsterWorld-v0").Build(new BuildOptions(Level: 0)));
        Assert.DoesNotContain("0..-1", error.Message, StringComparison.Ordinal);
        Assert.Contains("generated", error.Message, StringComparison.Ordinal);
        Assert.Contains("no numbered levels", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ObjectsThatDoNotFitAreCountedAgainstTheFreeCells()
    {
        var error = Assert.Throws<ScenarioException>(() => ScenarioRegistry.BuiltIn.Get("MonsterWorld-v0").Build(new BuildOptions(Set: new Dictionary<string, string> { ["size"] = "3" })));
        Assert.DoesNotContain("0 objects", error.Message, StringComparison.Ordinal);
        Assert.Contains("6 object(s) and the agent need 7 free cells, but a 3×3 map has only 1 inside its walls", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ControlCharactersFromTheUserAreEscapedInMessages()
    {
        var error = Assert.Throws<ScenarioException>(() => ScenarioRegistry.BuiltIn.Get("\u001b[31mRED"));
        Assert.StartsWith("unknown scenario id '\\u001b[31mRED'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', error.Message);

        var inFile = Refused(Base.Replace("COMPONENTS\n", string.Empty, StringComparison.Ordinal).Replace("components:\n", string.Empty, StringComparison.Ordinal).Replace("id: Hostile-v0", "id: \"\\e[31mRED\"", StringComparison.Ordinal));
        Assert.Contains("id '\\u001b[31mRED'", inFile.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\u001b', inFile.Message);
        Assert.DoesNotContain('\u001b', inFile.Problem);

        var (code, _, err) = CliTests.Run("show", "\u001b[31mRED");
        Assert.Equal(2, code);
        Assert.DoesNotContain('\u001b', err);
        Assert.Contains("\\u001b[31mRED", err, StringComparison.Ordinal);
    }

    // Found by the fuzzer: a component's own argument check made with a .NET exception.
    [Fact]
    public void AnOutOfRangeComponentArgumentIsReportedAtItsValue()
    {
        var text = System.IO.File.ReadAllText(Path.Combine(Repo.Root, "scenarios", "TomatoWatering-v0.yaml"));
        Assert.Contains("0.05", text, StringComparison.Ordinal);
        var error = Refused(text.Replace("0.05", "7", StringComparison.Ordinal), "TomatoWatering-v0.yaml");
        Assert.True(error.Line > 0);
        Assert.Contains("'dry_probability' must be between 0 and 1, not 7.", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    // Found by the fuzzer: a stray ':' that YamlDotNet's node model rejects with an ArgumentException.
    [Fact]
    public void AStrayColonIsReportedAsInvalidYamlWhereTheParserStopped()
    {
        var lines = System.IO.File.ReadAllLines(Path.Combine(Repo.Root, "scenarios", "BoatRace-v0.yaml"));
        lines[21] = lines[21][..2] + ":" + lines[21][3..];
        var error = Refused(string.Join('\n', lines), "BoatRace-v0.yaml");
        Assert.True(error.Line > 0);
        Assert.Contains("not valid YAML", error.Message, StringComparison.Ordinal);
    }
}
