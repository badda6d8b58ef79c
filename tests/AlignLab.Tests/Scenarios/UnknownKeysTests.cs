using AlignLab.Scenarios;

namespace AlignLab.Tests.Scenarios;

/// <summary>
/// The one unknown-key check: what it accepts and rejects, and that every place where a scenario
/// file or its options name keys uses it (same "did you mean" suggestions, located at the key).
/// </summary>
public sealed class UnknownKeysTests
{
    private static readonly string[] TileKeys = ["name", "blocks", "touch"];

    [Fact]
    public void AKnownKeyPasses()
    {
        var called = false;
        UnknownKeys.Reject("blocks", TileKeys, _ =>
        {
            called = true;
            return new ScenarioException("unexpected");
        });
        Assert.False(called);
    }

    [Fact]
    public void AnUnknownKeyGetsTheErrorWithCloseSuggestions()
    {
        var close = Assert.Throws<ScenarioException>(() => UnknownKeys.Reject("blokcs", TileKeys, didYouMean => new ScenarioException($"unknown 'blokcs'{didYouMean}")));
        Assert.Equal("unknown 'blokcs' (did you mean 'blocks'?)", close.Message);
        var far = Assert.Throws<ScenarioException>(() => UnknownKeys.Reject("elevation", TileKeys, didYouMean => new ScenarioException($"unknown 'elevation'{didYouMean}")));
        Assert.Equal("unknown 'elevation'", far.Message);
    }

    public static TheoryData<string, string, string, string, string> Places() => new()
    {
        // text replaced, replacement, start of the error's line, token the error points at, expected problem
        { "title: Sample", "titel: Sample", "titel", "titel", "the scenario: unknown key 'titel' (did you mean 'title'?); allowed: id, title, description, source, max_steps, actions, legend, components, levels, distributions, reward, intended, goals, parameters, observed." },
        { "{name: wall, blocks: true}", "{name: wall, blokcs: true}", "  '#'", "blokcs", "legend entry '#': unknown key 'blokcs' (did you mean 'blocks'?); allowed: name, blocks, touch, terminal, collect, agent, on." },
        { "{default: red}", "{defualt: red}", "  label:", "defualt", "parameter 'label': unknown key 'defualt' (did you mean 'default'?); allowed: default, choices." },
        { "    with: {symbol: C}", "    wiht: {symbol: C}", "    wiht:", "wiht", "a component entry: unknown key 'wiht' (did you mean 'with'?); allowed: type, with." },
        { "max_steps: 30}", "max_step: 30}", "  room:", "max_step", "distribution 'room': unknown key 'max_step' (did you mean 'max_steps'?); allowed: generator, with, max_steps." },
        { "{symbol: C}", "{symbl: C}", "    with:", "C}", "component 'end_when_cleared' has no argument 'symbl' (did you mean 'symbol'?)." },
        { "objects: CG}", "objets: CG}", "  room:", "CG}", "generator 'open_room' has no argument 'objets' (did you mean 'objects'?)." },
    };

    [Theory]
    [MemberData(nameof(Places))]
    public void EveryPlaceThatTakesKeysRejectsUnknownOnesTheSameWay(string find, string replace, string lineStart, string token, string problem)
    {
        var text = SampleScenario.With(find, replace);
        var error = Assert.Throws<ScenarioException>(() => ScenarioParser.Parse(text, SampleScenario.File));
        var (line, column) = SampleScenario.Find(text, lineStart, token);
        Assert.Equal($"{SampleScenario.File}:{line}:{column}: {problem}", error.Message);
    }

    [Fact]
    public void SetOptionsNameOnlyDeclaredParameters()
    {
        var sample = ScenarioParser.Parse(SampleScenario.Yaml, SampleScenario.File);
        var error = Assert.Throws<ScenarioException>(() => sample.Build(new BuildOptions(Set: new Dictionary<string, string> { ["bonsu"] = "3" })));
        Assert.Equal("--set bonsu=3: Sample-v1 has no parameter 'bonsu' (did you mean 'bonus'?); parameters: bonus, noisy, rate, label, size.", error.Message);
    }
}
