using System.Globalization;
using System.Text.RegularExpressions;
using AlignLab.Grid;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace AlignLab.Scenarios;

/// <summary>
/// Reads the YAML scenario format (see <c>scenarios/README.md</c>). Every problem is reported
/// as one <see cref="ScenarioException"/> naming the file, line, column and what is wrong.
/// </summary>
public static partial class ScenarioParser
{
    private static readonly string[] TopKeys =
        ["id", "title", "description", "source", "max_steps", "actions", "legend", "components", "levels", "distributions", "reward", "intended", "goals", "parameters"];

    private static readonly string[] TileKeys = ["name", "blocks", "touch", "terminal", "collect", "agent", "on"];

    private static readonly string[] ComponentKeys = ["type", "with"];

    private static readonly string[] ParameterKeys = ["default", "choices"];

    private static readonly string[] GeneratorKeys = ["generator", "with", "max_steps"];

    /// <summary>Reads a scenario file from disk.</summary>
    /// <exception cref="ScenarioException">The file is missing, unreadable or malformed.</exception>
    public static ScenarioDefinition ParseFile(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ScenarioException(path, 0, 0, $"cannot read the file: {e.Message}");
        }

        return Parse(text, path);
    }

    /// <summary>
    /// Reads a scenario from YAML text; <paramref name="source"/> names it in error messages.
    /// Components are looked up in <paramref name="components"/> (the built-in registry by default).
    /// </summary>
    /// <exception cref="ScenarioException">The text is malformed.</exception>
    public static ScenarioDefinition Parse(string text, string source, ComponentRegistry? components = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var nodes = new YamlNodes(source);
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
        catch (InvalidOperationException)
        {
            // The parser gave up mid-structure (an unclosed bracket or quote, say): report where it stopped.
            var at = parser.Current?.Start ?? Mark.Empty;
            throw new ScenarioException(source, Math.Max(1, (int)at.Line), Math.Max(1, (int)at.Column), "not valid YAML: a bracket, brace or quote is not closed, or the indentation is inconsistent, near here.");
        }

        if (stream.Documents.Count != 1)
        {
            throw new ScenarioException(source, 1, 1, stream.Documents.Count == 0 ? "the file is empty." : "the file holds more than one YAML document.");
        }

        var root = nodes.Mapping(stream.Documents[0].RootNode, "a scenario file");
        foreach (var _ in nodes.Entries(root, "the scenario", TopKeys))
        {
        }

        var idNode = nodes.Required(root, "id", "the scenario");
        var id = nodes.Scalar(idNode, "id");
        if (!IdPattern().IsMatch(id))
        {
            throw nodes.Error(idNode, $"id '{id}' must look like Name-vN (letters and digits, then -v and a version number).");
        }

        var title = Optional(nodes, root, "title") ?? id;
        var description = Optional(nodes, root, "description")?.Trim() ?? string.Empty;
        var maxSteps = YamlNodes.Optional(root, "max_steps") is { } ms ? nodes.Int(ms, "max_steps") : 100;
        if (maxSteps < 1)
        {
            throw nodes.Error(nodes.Required(root, "max_steps", "the scenario"), "max_steps must be at least 1.");
        }

        var actionsNode = YamlNodes.Optional(root, "actions");
        var actions = actionsNode is null ? "UDLR" : nodes.Scalar(actionsNode, "actions");
        if (actions.Length == 0 || actions.Any(c => !Moves.AllLetters.Contains(c, StringComparison.Ordinal)) || actions.Distinct().Count() != actions.Length)
        {
            throw nodes.Error(actionsNode!, $"actions '{actions}' must be distinct letters from {Moves.AllLetters}.");
        }

        var parameters = ReadParameters(nodes, root);
        var (legend, agentSymbol, under) = ReadLegend(nodes, nodes.Required(root, "legend", "the scenario"));
        var levels = YamlNodes.Optional(root, "levels") is { } levelsNode ? ReadLevels(nodes, levelsNode, legend, agentSymbol, under) : [];
        var (distributions, generators, distributionSteps) = ReadDistributions(nodes, root, levels.Count);
        if (levels.Count == 0 && distributions.Count > 0)
        {
            throw nodes.Error(root, "the scenario needs 'levels' (its distributions list fixed levels).");
        }
        var componentEntries = ReadComponents(nodes, root);
        var reward = ReadObjective(nodes, nodes.Required(root, "reward", "the scenario"), "reward");
        var intended = ReadObjective(nodes, nodes.Required(root, "intended", "the scenario"), "intended");
        var goals = new List<ScenarioDefinition.ObjectiveEntry>();
        if (YamlNodes.Optional(root, "goals") is { } goalsNode)
        {
            foreach (var (name, _, value) in nodes.Entries(nodes.Mapping(goalsNode, "goals"), "goals"))
            {
                goals.Add(ReadObjective(nodes, value, name));
            }
        }

        var definition = new ScenarioDefinition(nodes, id, title, description, maxSteps, actions, legend, agentSymbol, levels, distributions, generators, componentEntries, reward, intended, goals, parameters)
        {
            DistributionMaxSteps = distributionSteps,
        };

        // Build once with the defaults so that unknown components, events and arguments are
        // reported when the file is read, not when it is first played.
        foreach (var name in definition.DistributionNames)
        {
            definition.Build(levels.Count > 0 && !generators.ContainsKey(name) ? new BuildOptions(Level: 0) : new BuildOptions(Distribution: name), components);
        }

        return definition;
    }

    private static string? Optional(YamlNodes nodes, YamlMappingNode root, string key) =>
        YamlNodes.Optional(root, key) is { } node ? nodes.Scalar(node, key) : null;

    private static Dictionary<string, ScenarioDefinition.ParameterEntry> ReadParameters(YamlNodes nodes, YamlMappingNode root)
    {
        var result = new Dictionary<string, ScenarioDefinition.ParameterEntry>(StringComparer.Ordinal);
        if (YamlNodes.Optional(root, "parameters") is not { } node)
        {
            return result;
        }

        foreach (var (name, _, value) in nodes.Entries(nodes.Mapping(node, "parameters"), "parameters"))
        {
            YamlNode defaultNode = value;
            IReadOnlyList<string>? choices = null;
            if (value is YamlMappingNode mapping)
            {
                foreach (var _ in nodes.Entries(mapping, $"parameter '{name}'", ParameterKeys))
                {
                }

                defaultNode = nodes.Required(mapping, "default", $"parameter '{name}'");
                if (YamlNodes.Optional(mapping, "choices") is { } choicesNode)
                {
                    choices = [.. nodes.Sequence(choicesNode, $"parameter '{name}' choices").Select(c => nodes.Scalar(c, "a choice"))];
                }
            }

            var text = nodes.Scalar(defaultNode, $"parameter '{name}'");
            var kind = text is "true" or "false" ? "bool"
                : int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _) ? "int"
                : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? "number"
                : "text";
            if (choices is not null && !choices.Contains(text))
            {
                throw nodes.Error(defaultNode, $"parameter '{name}': default '{text}' is not among its choices.");
            }

            result[name] = new ScenarioDefinition.ParameterEntry(text, kind, choices);
        }

        return result;
    }

    private static (Dictionary<char, Tile> Legend, char Agent, char Under) ReadLegend(YamlNodes nodes, YamlNode node)
    {
        var legend = new Dictionary<char, Tile>();
        char? agent = null;
        foreach (var (key, keyNode, value) in nodes.Entries(nodes.Mapping(node, "legend"), "legend"))
        {
            if (key.Length != 1 || key[0] > 126 || key[0] < 32)
            {
                throw nodes.Error(keyNode, $"legend key '{key}' must be one printable ASCII character (quote it: ' ' or '#').");
            }

            var symbol = key[0];
            var entry = nodes.Mapping(value, $"legend entry '{key}'");
            var what = $"legend entry '{key}'";
            foreach (var _ in nodes.Entries(entry, what, TileKeys))
            {
            }

            var name = nodes.Scalar(nodes.Required(entry, "name", what), $"{what} name");
            var isAgent = YamlNodes.Optional(entry, "agent") is { } a && nodes.Bool(a, $"{what} agent");
            if (isAgent)
            {
                if (agent is not null)
                {
                    throw nodes.Error(keyNode, $"legend: both '{agent}' and '{symbol}' are marked as the agent.");
                }

                agent = symbol;
            }

            char? collect = null;
            if (YamlNodes.Optional(entry, "collect") is { } collectNode)
            {
                var text = nodes.Scalar(collectNode, $"{what} collect");
                collect = text.Length == 1 ? text[0] : throw nodes.Error(collectNode, $"{what}: collect names the one character left behind, not '{text}'.");
            }

            legend[symbol] = new Tile(
                symbol,
                name,
                YamlNodes.Optional(entry, "blocks") is { } b && nodes.Bool(b, $"{what} blocks"),
                YamlNodes.Optional(entry, "touch") is { } t ? nodes.Scalar(t, $"{what} touch") : null,
                YamlNodes.Optional(entry, "terminal") is { } term && nodes.Bool(term, $"{what} terminal"),
                collect);
        }

        if (agent is null)
        {
            throw nodes.Error(node, "legend: no entry is marked 'agent: true'.");
        }

        var under = ' ';
        var underNode = YamlNodes.Optional((YamlMappingNode)((YamlMappingNode)node).Children[new YamlScalarNode(agent.Value.ToString())], "on");
        if (underNode is not null)
        {
            var text = nodes.Scalar(underNode, $"legend entry '{agent}' on");
            under = text.Length == 1 ? text[0] : '\0';
        }

        if (!legend.TryGetValue(under, out var underTile) || under == agent || underTile.Blocks)
        {
            throw nodes.Error(underNode ?? node, $"legend entry '{agent}': 'on' must name the passable legend character under the agent's start (the default is ' ', which must then be in the legend).");
        }

        foreach (var (key, _, value) in nodes.Entries(nodes.Mapping(node, "legend"), "legend"))
        {

            if (legend[key[0]].CollectInto is { } remains && !legend.ContainsKey(remains))
            {
                throw nodes.Error(value, $"legend entry '{key}': collect leaves '{remains}', which the legend does not define.");
            }
        }

        return (legend, agent.Value, under);
    }

    private static List<ScenarioDefinition.LevelEntry> ReadLevels(YamlNodes nodes, YamlNode node, Dictionary<char, Tile> legend, char agent, char under)
    {
        var list = nodes.Sequence(node, "levels");
        if (list.Children.Count == 0)
        {
            throw nodes.Error(node, "levels: at least one map is needed.");
        }

        var result = new List<ScenarioDefinition.LevelEntry>();
        foreach (var levelNode in list.Children)
        {
            var art = nodes.Scalar(levelNode, "a level (ASCII art in a | block)");
            var rows = art.Replace("\r", string.Empty, StringComparison.Ordinal).Split('\n').ToList();
            while (rows.Count > 0 && rows[^1].Length == 0)
            {
                rows.RemoveAt(rows.Count - 1);
            }

            if (rows.Count == 0)
            {
                throw nodes.Error(levelNode, "a level map is empty.");
            }

            var width = rows[0].Length;
            var firstLine = (int)levelNode.Start.Line + (levelNode is YamlScalarNode { Style: ScalarStyle.Literal or ScalarStyle.Folded } ? 1 : 0);
            var cells = new byte[rows.Count * width];
            var start = -1;
            for (var r = 0; r < rows.Count; r++)
            {
                if (rows[r].Length != width)
                {
                    throw new ScenarioException(nodes.Source, firstLine + r, 1, $"level {result.Count}, row {r}: {rows[r].Length} characters wide, but row 0 is {width}.");
                }

                for (var c = 0; c < width; c++)
                {
                    var symbol = rows[r][c];
                    if (!legend.ContainsKey(symbol))
                    {
                        throw new ScenarioException(nodes.Source, firstLine + r, c + 1, $"level {result.Count}: '{symbol}' at row {r}, column {c} is not in the legend{Suggest.DidYouMean(symbol.ToString(), legend.Keys.Select(k => k.ToString()))}.");
                    }

                    if (symbol == agent)
                    {
                        if (start >= 0)
                        {
                            throw new ScenarioException(nodes.Source, firstLine + r, c + 1, $"level {result.Count}: a second agent '{agent}' at row {r}, column {c}.");
                        }

                        start = (r * width) + c;
                    }

                    cells[(r * width) + c] = (byte)symbol;
                }
            }

            if (start < 0)
            {
                throw nodes.Error(levelNode, $"level {result.Count}: the map has no agent '{agent}'.");
            }

            cells[start] = (byte)under;
            result.Add(new ScenarioDefinition.LevelEntry(new GridLevel(rows.Count, width, cells, start), levelNode));
        }

        return result;
    }

    private static (Dictionary<string, IReadOnlyList<int>> Fixed, Dictionary<string, ScenarioDefinition.ComponentEntry> Generated, Dictionary<string, int> MaxSteps) ReadDistributions(YamlNodes nodes, YamlMappingNode root, int levelCount)
    {
        var result = new Dictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal);
        var generated = new Dictionary<string, ScenarioDefinition.ComponentEntry>(StringComparer.Ordinal);
        var maxSteps = new Dictionary<string, int>(StringComparer.Ordinal);
        if (YamlNodes.Optional(root, "distributions") is not { } node)
        {
            if (levelCount == 0)
            {
                throw nodes.Error(root, "the scenario needs 'levels' or generated 'distributions'.");
            }

            result["train"] = [.. Enumerable.Range(0, levelCount)];
            return (result, generated, maxSteps);
        }

        foreach (var (name, keyNode, value) in nodes.Entries(nodes.Mapping(node, "distributions"), "distributions"))
        {
            if (value is YamlMappingNode mapping)
            {
                foreach (var _ in nodes.Entries(mapping, $"distribution '{name}'", GeneratorKeys))
                {
                }

                var type = nodes.Scalar(nodes.Required(mapping, "generator", $"distribution '{name}'"), "generator");
                var args = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
                if (YamlNodes.Optional(mapping, "with") is { } with)
                {
                    foreach (var (key, _, arg) in nodes.Entries(nodes.Mapping(with, $"generator '{type}' with"), $"generator '{type}' arguments"))
                    {
                        args[key] = arg;
                    }
                }

                generated[name] = new ScenarioDefinition.ComponentEntry(type, mapping, args);
                if (YamlNodes.Optional(mapping, "max_steps") is { } stepsNode)
                {
                    var steps = nodes.Int(stepsNode, $"distribution '{name}' max_steps");
                    maxSteps[name] = steps >= 1 ? steps : throw nodes.Error(stepsNode, $"distribution '{name}': max_steps must be at least 1.");
                }

                continue;
            }

            var levels = new List<int>();
            foreach (var item in nodes.Sequence(value, $"distribution '{name}' (a list of level numbers, or generator: name with: arguments)"))
            {
                var level = nodes.Int(item, $"a level number in distribution '{name}'");
                if (level < 0 || level >= levelCount)
                {
                    throw nodes.Error(item, $"distribution '{name}': there is no level {level}; levels are 0..{levelCount - 1}.");
                }

                levels.Add(level);
            }

            if (levels.Count == 0)
            {
                throw nodes.Error(keyNode, $"distribution '{name}' lists no level.");
            }

            result[name] = levels;
        }

        if (!result.ContainsKey("train") && !generated.ContainsKey("train"))
        {
            throw nodes.Error(node, "distributions: a 'train' distribution is required.");
        }

        return (result, generated, maxSteps);
    }

    private static List<ScenarioDefinition.ComponentEntry> ReadComponents(YamlNodes nodes, YamlMappingNode root)
    {
        var result = new List<ScenarioDefinition.ComponentEntry>();
        if (YamlNodes.Optional(root, "components") is not { } node)
        {
            return result;
        }

        foreach (var item in nodes.Sequence(node, "components"))
        {
            var mapping = nodes.Mapping(item, "a component entry (type: name, with: arguments)");
            foreach (var _ in nodes.Entries(mapping, "a component entry", ComponentKeys))
            {
            }

            var type = nodes.Scalar(nodes.Required(mapping, "type", "a component entry"), "component type");
            var args = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
            if (YamlNodes.Optional(mapping, "with") is { } with)
            {
                foreach (var (key, _, value) in nodes.Entries(nodes.Mapping(with, $"component '{type}' with"), $"component '{type}' arguments"))
                {
                    args[key] = value;
                }
            }

            result.Add(new ScenarioDefinition.ComponentEntry(type, item, args));
        }

        return result;
    }

    private static ScenarioDefinition.ObjectiveEntry ReadObjective(YamlNodes nodes, YamlNode node, string name)
    {
        var terms = new List<(string, string, YamlNode, YamlNode)>();
        if (node is YamlScalarNode { Value: "0" or "" or null })
        {
            return new ScenarioDefinition.ObjectiveEntry(name, node, terms);
        }

        foreach (var (key, keyNode, value) in nodes.Entries(nodes.Mapping(node, $"objective '{name}' (event: weight lines)"), $"objective '{name}'"))
        {
            terms.Add((key, nodes.Scalar(value, $"the weight of '{key}' in '{name}'"), keyNode, value));
        }

        return new ScenarioDefinition.ObjectiveEntry(name, node, terms);
    }

    [GeneratedRegex(@"^[A-Z][A-Za-z0-9]*-v[0-9]+$")]
    private static partial Regex IdPattern();

    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ")]
    private static partial Regex LocationPrefix();
}
