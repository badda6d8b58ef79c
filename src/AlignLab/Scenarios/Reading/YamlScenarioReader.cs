using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace AlignLab.Scenarios.Reading;

/// <summary>
/// Reads the YAML scenario format (see <c>scenarios/README.md</c>) into a <see cref="ScenarioSyntax"/>:
/// the only place that knows YAML. It checks the shape of the file (which keys, mappings, lists,
/// single values, integers and booleans) and reports the first problem as a located
/// <see cref="ScenarioException"/>; what the values mean is checked by <see cref="ScenarioCompiler"/>.
/// </summary>
internal sealed partial class YamlScenarioReader
{
    private static readonly string[] TopKeys =
        ["id", "title", "description", "source", "max_steps", "actions", "legend", "components", "levels", "distributions", "reward", "intended", "goals", "parameters", "observed"];

    private static readonly string[] TileKeys = ["name", "blocks", "touch", "terminal", "collect", "agent", "on"];

    private static readonly string[] ComponentKeys = ["type", "with"];

    private static readonly string[] ParameterKeys = ["default", "choices"];

    private static readonly string[] GeneratorKeys = ["generator", "with", "max_steps"];

    private readonly YamlNodes _nodes;

    private YamlScenarioReader(string source) => _nodes = new YamlNodes(source);

    /// <summary>Reads YAML text; <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="ScenarioException">The text is not YAML or not shaped like a scenario.</exception>
    public static ScenarioSyntax Read(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new YamlScenarioReader(source).ReadScenario(Load(text, source));
    }

    internal static YamlNode Load(string text, string source)
    {
        var stream = new YamlStream();
        var parser = new Parser(new StringReader(text));
        try
        {
            stream.Load(parser);
        }
        catch (YamlException e)
        {
            var problem = e.InnerException is { } inner ? $"{e.Message.Trim()} {inner.Message.Trim()}" : e.Message.Trim();
            problem = LocationPrefix().Replace(problem, string.Empty);
            throw new ScenarioException(source, (int)e.Start.Line, (int)e.Start.Column, $"not valid YAML: {problem}");
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // The parser gave up mid-structure (an unclosed bracket or quote, say) or met an event the
            // node model does not take (a stray ':' at the start of a line): report where it stopped.
            var at = parser.Current?.Start ?? Mark.Empty;
            throw new ScenarioException(source, Math.Max(1, (int)at.Line), Math.Max(1, (int)at.Column), "not valid YAML: a bracket, brace or quote is not closed, or the indentation is inconsistent, near here.");
        }

        if (stream.Documents.Count != 1)
        {
            throw new ScenarioException(source, 1, 1, stream.Documents.Count == 0 ? "the file is empty." : "the file holds more than one YAML document.");
        }

        return stream.Documents[0].RootNode;
    }

    private ScenarioSyntax ReadScenario(YamlNode rootNode)
    {
        var root = _nodes.Fields(_nodes.Mapping(rootNode, "a scenario file"), "the scenario", TopKeys);
        var id = root.Optional("id") is { } idNode ? _nodes.LocatedScalar(idNode, "id") : (Located<string>?)null;
        var title = root.Optional("title") is { } titleNode ? _nodes.Scalar(titleNode, "title") : null;
        var description = root.Optional("description") is { } descriptionNode ? _nodes.Scalar(descriptionNode, "description") : null;
        var maxSteps = root.Optional("max_steps") is { } maxStepsNode ? _nodes.LocatedInt(maxStepsNode, "max_steps") : (Located<int>?)null;
        var actions = root.Optional("actions") is { } actionsNode ? _nodes.LocatedScalar(actionsNode, "actions") : (Located<string>?)null;
        var parameters = root.Optional("parameters") is { } parametersNode ? ReadParameters(parametersNode) : [];
        var legend = root.Optional("legend") is { } legendNode ? ReadLegend(legendNode) : null;
        var levels = root.Optional("levels") is { } levelsNode ? ReadLevels(levelsNode) : (Located<IReadOnlyList<LevelSyntax>>?)null;
        var distributions = root.Optional("distributions") is { } distributionsNode ? ReadDistributions(distributionsNode) : null;
        var components = root.Optional("components") is { } componentsNode ? ReadComponents(componentsNode) : [];
        var reward = root.Optional("reward") is { } rewardNode ? ReadObjective(rewardNode, "reward") : null;
        var intended = root.Optional("intended") is { } intendedNode ? ReadObjective(intendedNode, "intended") : null;
        var goals = root.Optional("goals") is { } goalsNode
            ? _nodes.Fields(_nodes.Mapping(goalsNode, "goals"), "goals").Entries.Select(g => ReadObjective(g.Value, g.Key)).ToList()
            : [];
        var observed = root.Optional("observed") is { } observedNode
            ? Preferences.FeatureTermReader.ReadRule(_nodes, observedNode, "observed", hidden: null)
            : [];
        return new ScenarioSyntax(_nodes.At(rootNode), id, title, description, maxSteps, actions, parameters, legend, levels, distributions, components, reward, intended, goals)
        {
            Observed = observed,
        };
    }

    private List<ParameterSyntax> ReadParameters(YamlNode node)
    {
        var result = new List<ParameterSyntax>();
        foreach (var (name, _, value) in _nodes.Fields(_nodes.Mapping(node, "parameters"), "parameters").Entries)
        {
            var defaultNode = value;
            List<string>? choices = null;
            if (value is YamlMappingNode mapping)
            {
                var what = $"parameter '{name}'";
                var parameter = _nodes.Fields(mapping, what, ParameterKeys);
                defaultNode = parameter.Required("default");
                if (parameter.Optional("choices") is { } choicesNode)
                {
                    choices = [.. _nodes.Sequence(choicesNode, $"{what} choices").Select(c => _nodes.Scalar(c, "a choice"))];
                }
            }

            result.Add(new ParameterSyntax(name, _nodes.LocatedScalar(defaultNode, $"parameter '{name}'"), choices));
        }

        return result;
    }

    private LegendSyntax ReadLegend(YamlNode node)
    {
        var entries = new List<TileSyntax>();
        foreach (var (key, keyNode, value) in _nodes.Fields(_nodes.Mapping(node, "legend"), "legend").Entries)
        {
            var what = $"legend entry '{key}'";
            var entry = _nodes.Fields(_nodes.Mapping(value, what), what, TileKeys);
            var name = _nodes.Scalar(entry.Required("name"), $"{what} name");
            var agent = entry.Optional("agent") is { } agentNode && _nodes.Bool(agentNode, $"{what} agent");
            var collect = entry.Optional("collect") is { } collectNode ? _nodes.LocatedScalar(collectNode, $"{what} collect") : (Located<string>?)null;
            var blocks = entry.Optional("blocks") is { } blocksNode && _nodes.Bool(blocksNode, $"{what} blocks");
            var touch = entry.Optional("touch") is { } touchNode ? _nodes.Scalar(touchNode, $"{what} touch") : null;
            var terminal = entry.Optional("terminal") is { } terminalNode && _nodes.Bool(terminalNode, $"{what} terminal");
            var on = entry.Optional("on") is { } onNode ? new ScalarSyntax(ScalarOrNull(onNode), _nodes.At(onNode)) : null;
            entries.Add(new TileSyntax(new Located<string>(key, _nodes.At(keyNode)), _nodes.At(value), name, blocks, touch, terminal, collect, agent, on));
        }

        return new LegendSyntax(_nodes.At(node), entries);
    }

    private Located<IReadOnlyList<LevelSyntax>> ReadLevels(YamlNode node)
    {
        var levels = new List<LevelSyntax>();
        foreach (var levelNode in _nodes.Sequence(node, "levels"))
        {
            var art = _nodes.Scalar(levelNode, "a level (ASCII art in a | block)");
            var firstLine = (int)levelNode.Start.Line + (levelNode is YamlScalarNode { Style: ScalarStyle.Literal or ScalarStyle.Folded } ? 1 : 0);
            levels.Add(new LevelSyntax(art, _nodes.At(levelNode), firstLine));
        }

        return new Located<IReadOnlyList<LevelSyntax>>(levels, _nodes.At(node));
    }

    private DistributionsSyntax ReadDistributions(YamlNode node)
    {
        var entries = new List<DistributionSyntax>();
        foreach (var (name, keyNode, value) in _nodes.Fields(_nodes.Mapping(node, "distributions"), "distributions").Entries)
        {
            var located = new Located<string>(name, _nodes.At(keyNode));
            if (value is YamlMappingNode mapping)
            {
                var distribution = _nodes.Fields(mapping, $"distribution '{name}'", GeneratorKeys);
                var generator = ReadComponent(distribution, "generator", "generator", "generator");
                var maxSteps = distribution.Optional("max_steps") is { } stepsNode ? _nodes.LocatedInt(stepsNode, $"distribution '{name}' max_steps") : (Located<int>?)null;
                entries.Add(new GeneratedDistributionSyntax(located, generator, maxSteps));
                continue;
            }

            var levels = _nodes.Sequence(value, $"distribution '{name}' (a list of level numbers, or generator: name with: arguments)")
                .Select(item => _nodes.LocatedInt(item, $"a level number in distribution '{name}'"))
                .ToList();
            entries.Add(new FixedDistributionSyntax(located, levels));
        }

        return new DistributionsSyntax(_nodes.At(node), entries);
    }

    private List<ComponentEntry> ReadComponents(YamlNode node) =>
        [.. _nodes.Sequence(node, "components").Select(item =>
            ReadComponent(_nodes.Fields(_nodes.Mapping(item, "a component entry (type: name, with: arguments)"), "a component entry", ComponentKeys), "type", "component type", "component"))];

    /// <summary>
    /// A component entry or a distribution's generator: the registered name under
    /// <paramref name="typeKey"/> and the <c>with:</c> arguments. Both kinds read their arguments here.
    /// </summary>
    private ComponentEntry ReadComponent(YamlNodes.YamlFields entry, string typeKey, string typeWhat, string kind)
    {
        var type = _nodes.Scalar(entry.Required(typeKey), typeWhat);
        var arguments = new List<ComponentArgument>();
        if (entry.Optional("with") is { } with)
        {
            foreach (var (name, _, value) in _nodes.Fields(_nodes.Mapping(with, $"{kind} '{type}' with"), $"{kind} '{type}' arguments").Entries)
            {
                arguments.Add(new ComponentArgument(name, ScalarOrNull(value), _nodes.At(value)));
            }
        }

        return new ComponentEntry(type, _nodes.At(entry.Node), arguments);
    }

    private ObjectiveSyntax ReadObjective(YamlNode node, string name)
    {
        if (node is YamlScalarNode { Value: "0" or "" or null })
        {
            return new ObjectiveSyntax(name, _nodes.At(node), []);
        }

        var terms = _nodes.Fields(_nodes.Mapping(node, $"objective '{name}' (event: weight lines)"), $"objective '{name}'").Entries
            .Select(t => new ObjectiveTerm(new Located<string>(t.Key, _nodes.At(t.KeyNode)), _nodes.LocatedScalar(t.Value, $"the weight of '{t.Key}' in '{name}'")))
            .ToList();
        return new ObjectiveSyntax(name, _nodes.At(node), terms);
    }

    /// <summary>The text of a single value, or null for a list or mapping (reported only if the value is used).</summary>
    private static string? ScalarOrNull(YamlNode node) => node is YamlScalarNode { Value: { } text } ? text : null;

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex LocationPrefix();
}
