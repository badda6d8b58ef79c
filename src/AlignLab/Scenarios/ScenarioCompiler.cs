using System.Globalization;
using System.Text.RegularExpressions;
using AlignLab.Grid;
using AlignLab.Scenarios.Reading;

namespace AlignLab.Scenarios;

/// <summary>
/// Turns a scenario as written (<see cref="ScenarioSyntax"/>) into a <see cref="ScenarioDefinition"/>:
/// checks what the values mean (the id's form, the action letters, the legend, the maps against
/// the legend, level numbers in distributions, parameter defaults against their choices) and
/// builds the tiles, maps and entries the definition holds. Every problem is reported at the
/// location carried by the syntax.
/// </summary>
internal static partial class ScenarioCompiler
{
    /// <summary>Compiles a read scenario; the definition keeps <paramref name="syntax"/>'s file name for later errors.</summary>
    /// <exception cref="ScenarioException">A value that does not make sense, at its location.</exception>
    public static ScenarioDefinition Compile(ScenarioSyntax syntax)
    {
        ArgumentNullException.ThrowIfNull(syntax);
        var (id, idAt) = Required(syntax, syntax.Id, "id");
        if (!IdPattern().IsMatch(id))
        {
            throw idAt.Error($"id '{id}' must look like Name-vN (letters and digits, then -v and a version number).");
        }

        var title = syntax.Title ?? id;
        var description = syntax.Description?.Trim() ?? string.Empty;
        var maxSteps = syntax.MaxSteps?.Value ?? 100;
        if (maxSteps < 1)
        {
            throw syntax.MaxSteps!.Value.At.Error("max_steps must be at least 1.");
        }

        var actions = syntax.Actions?.Value ?? "UDLR";
        if (actions.Length == 0 || actions.Any(c => !Moves.AllLetters.Contains(c, StringComparison.Ordinal)) || actions.Distinct().Count() != actions.Length)
        {
            throw syntax.Actions!.Value.At.Error($"actions '{actions}' must be distinct letters from {Moves.AllLetters}.");
        }

        var parameters = CompileParameters(syntax.Parameters);
        var (legend, agentSymbol, under) = CompileLegend(Required(syntax, syntax.Legend, "legend"));
        var levels = syntax.Levels is { } levelsSyntax ? CompileLevels(levelsSyntax, legend, agentSymbol, under) : [];
        var (distributions, generators, distributionSteps) = CompileDistributions(syntax, levels.Count);
        if (levels.Count == 0 && distributions.Count > 0)
        {
            throw syntax.At.Error("the scenario needs 'levels' (its distributions list fixed levels).");
        }

        return new ScenarioDefinition(
            syntax.At.File,
            id,
            title,
            description,
            maxSteps,
            actions,
            legend,
            agentSymbol,
            levels,
            distributions,
            generators,
            syntax.Components,
            CompileObjective(Required(syntax, syntax.Reward, "reward")),
            CompileObjective(Required(syntax, syntax.Intended, "intended")),
            [.. syntax.Goals.Select(CompileObjective)],
            parameters)
        {
            DistributionMaxSteps = distributionSteps,
            ObservedTerms = syntax.Observed,
        };
    }

    /// <summary>A part every scenario needs; its absence is reported at the top of the file.</summary>
    private static T Required<T>(ScenarioSyntax scenario, T? part, string key)
        where T : class =>
        part ?? throw scenario.At.Error($"the scenario needs a '{key}' entry.");

    /// <inheritdoc cref="Required{T}(ScenarioSyntax, T, string)"/>
    private static Located<string> Required(ScenarioSyntax scenario, Located<string>? part, string key) =>
        part ?? throw scenario.At.Error($"the scenario needs a '{key}' entry.");

    private static Dictionary<string, ScenarioDefinition.ParameterEntry> CompileParameters(IReadOnlyList<ParameterSyntax> parameters)
    {
        var result = new Dictionary<string, ScenarioDefinition.ParameterEntry>(StringComparer.Ordinal);
        foreach (var (name, (text, at), choices) in parameters)
        {
            if (choices is not null && !choices.Contains(text))
            {
                throw at.Error($"parameter '{name}': default '{text}' is not among its choices.");
            }

            result[name] = new ScenarioDefinition.ParameterEntry(text, KindOf(text), choices);
        }

        return result;
    }

    /// <summary>The kind of value a parameter takes, from its default.</summary>
    internal static ParameterKind KindOf(string defaultValue) =>
        defaultValue is "true" or "false" ? ParameterKind.Bool
        : int.TryParse(defaultValue, NumberStyles.Integer, CultureInfo.InvariantCulture, out _) ? ParameterKind.Int
        : double.TryParse(defaultValue, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? ParameterKind.Number
        : ParameterKind.Text;

    private static (Dictionary<char, Tile> Legend, char Agent, char Under) CompileLegend(LegendSyntax syntax)
    {
        var legend = new Dictionary<char, Tile>();
        TileSyntax? agent = null;
        foreach (var tile in syntax.Entries)
        {
            var key = tile.Key.Value;
            if (key.Length != 1 || key[0] > 126 || key[0] < 32)
            {
                throw tile.Key.At.Error($"legend key '{key}' must be one printable ASCII character (quote it: ' ' or '#').");
            }

            var symbol = key[0];
            if (tile.Agent)
            {
                if (agent is not null)
                {
                    throw tile.Key.At.Error($"legend: both '{agent.Key.Value}' and '{symbol}' are marked as the agent.");
                }

                agent = tile;
            }

            char? collect = null;
            if (tile.Collect is { } collectSyntax)
            {
                var text = collectSyntax.Value;
                collect = text.Length == 1 ? text[0] : throw collectSyntax.At.Error($"legend entry '{key}': collect names the one character left behind, not '{text}'.");
            }

            legend[symbol] = new Tile(symbol, tile.Name, tile.Blocks, tile.Touch, tile.Terminal, collect);
        }

        if (agent is null)
        {
            throw syntax.At.Error("legend: no entry is marked 'agent: true'.");
        }

        var agentSymbol = agent.Key.Value[0];
        var under = ' ';
        if (agent.On is { } on)
        {
            var text = on.Require($"legend entry '{agentSymbol}' on");
            under = text.Length == 1 ? text[0] : '\0';
        }

        if (!legend.TryGetValue(under, out var underTile) || under == agentSymbol || underTile.Blocks)
        {
            throw (agent.On?.At ?? syntax.At).Error($"legend entry '{agentSymbol}': 'on' must name the passable legend character under the agent's start (the default is ' ', which must then be in the legend).");
        }

        foreach (var tile in syntax.Entries)
        {
            if (legend[tile.Key.Value[0]].CollectInto is { } remains && !legend.ContainsKey(remains))
            {
                throw tile.At.Error($"legend entry '{tile.Key.Value}': collect leaves '{remains}', which the legend does not define.");
            }
        }

        return (legend, agentSymbol, under);
    }

    private static List<GridLevel> CompileLevels(Located<IReadOnlyList<LevelSyntax>> levels, Dictionary<char, Tile> legend, char agent, char under)
    {
        if (levels.Value.Count == 0)
        {
            throw levels.At.Error("levels: at least one map is needed.");
        }

        var result = new List<GridLevel>();
        foreach (var level in levels.Value)
        {
            var rows = level.Art.Replace("\r", string.Empty, StringComparison.Ordinal).Split('\n').ToList();
            while (rows.Count > 0 && rows[^1].Length == 0)
            {
                rows.RemoveAt(rows.Count - 1);
            }

            if (rows.Count == 0)
            {
                throw level.At.Error("a level map is empty.");
            }

            var width = rows[0].Length;
            var cells = new byte[rows.Count * width];
            var start = -1;
            for (var r = 0; r < rows.Count; r++)
            {
                var row = new SourceLocation(level.At.File, level.FirstLine + r, 1);
                if (rows[r].Length != width)
                {
                    throw row.Error($"level {result.Count}, row {r}: {rows[r].Length} characters wide, but row 0 is {width}.");
                }

                for (var c = 0; c < width; c++)
                {
                    var symbol = rows[r][c];
                    var cell = row with { Column = c + 1 };
                    if (!legend.ContainsKey(symbol))
                    {
                        throw cell.Error($"level {result.Count}: '{symbol}' at row {r}, column {c} is not in the legend{Suggest.DidYouMean(symbol.ToString(), legend.Keys.Select(k => k.ToString()))}.");
                    }

                    if (symbol == agent)
                    {
                        if (start >= 0)
                        {
                            throw cell.Error($"level {result.Count}: a second agent '{agent}' at row {r}, column {c}.");
                        }

                        start = (r * width) + c;
                    }

                    cells[(r * width) + c] = (byte)symbol;
                }
            }

            if (start < 0)
            {
                throw level.At.Error($"level {result.Count}: the map has no agent '{agent}'.");
            }

            cells[start] = (byte)under;
            result.Add(new GridLevel(rows.Count, width, cells, start));
        }

        return result;
    }

    private static (Dictionary<string, IReadOnlyList<int>> Fixed, Dictionary<string, ComponentEntry> Generated, Dictionary<string, int> MaxSteps) CompileDistributions(ScenarioSyntax scenario, int levelCount)
    {
        var result = new Dictionary<string, IReadOnlyList<int>>(StringComparer.Ordinal);
        var generated = new Dictionary<string, ComponentEntry>(StringComparer.Ordinal);
        var maxSteps = new Dictionary<string, int>(StringComparer.Ordinal);
        if (scenario.Distributions is not { } syntax)
        {
            if (levelCount == 0)
            {
                throw scenario.At.Error("the scenario needs 'levels' or generated 'distributions'.");
            }

            result["train"] = [.. Enumerable.Range(0, levelCount)];
            return (result, generated, maxSteps);
        }

        foreach (var distribution in syntax.Entries)
        {
            var name = distribution.Name.Value;
            switch (distribution)
            {
                case GeneratedDistributionSyntax { Generator: var generator, MaxSteps: var steps }:
                    generated[name] = generator;
                    if (steps is { } limit)
                    {
                        maxSteps[name] = limit.Value >= 1 ? limit.Value : throw limit.At.Error($"distribution '{name}': max_steps must be at least 1.");
                    }

                    break;
                case FixedDistributionSyntax { Levels: var numbers }:
                    foreach (var (level, at) in numbers)
                    {
                        if (level < 0 || level >= levelCount)
                        {
                            throw at.Error(levelCount == 0
                                ? $"distribution '{name}': there is no level {level}; the scenario has no 'levels' (give it maps, or a generator: name with: arguments)."
                                : $"distribution '{name}': there is no level {level}; levels are 0..{levelCount - 1}.");
                        }
                    }

                    if (numbers.Count == 0)
                    {
                        throw distribution.Name.At.Error($"distribution '{name}' lists no level.");
                    }

                    result[name] = [.. numbers.Select(n => n.Value)];
                    break;
            }
        }

        if (!result.ContainsKey("train") && !generated.ContainsKey("train"))
        {
            throw syntax.At.Error("distributions: a 'train' distribution is required.");
        }

        return (result, generated, maxSteps);
    }

    private static ScenarioDefinition.ObjectiveEntry CompileObjective(ObjectiveSyntax syntax) => new(syntax.Name, syntax.Terms);

    [GeneratedRegex(@"^[A-Z][A-Za-z0-9]*-v[0-9]+$")]
    private static partial Regex IdPattern();
}
