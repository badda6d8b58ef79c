using System.Globalization;
using AlignLab.Grid;
using AlignLab.Objectives;
using YamlDotNet.RepresentationModel;

namespace AlignLab.Scenarios;

/// <summary>
/// A scenario as read from its YAML file, before it is built for play: maps, legend,
/// components, objectives, goals, distributions and parameters. Building turns it into
/// a <see cref="GridWorld"/> for one choice of level or distribution and parameter values (see <c>Build</c>).
/// </summary>
public sealed class ScenarioDefinition
{
    internal ScenarioDefinition(
        YamlNodes nodes,
        string id,
        string title,
        string description,
        int maxSteps,
        string actions,
        IReadOnlyDictionary<char, Tile> legend,
        char agentSymbol,
        IReadOnlyList<LevelEntry> levels,
        IReadOnlyDictionary<string, IReadOnlyList<int>> distributions,
        IReadOnlyDictionary<string, ComponentEntry> generators,
        IReadOnlyList<ComponentEntry> components,
        ObjectiveEntry reward,
        ObjectiveEntry intended,
        IReadOnlyList<ObjectiveEntry> goals,
        IReadOnlyDictionary<string, ParameterEntry> parameters)
    {
        Nodes = nodes;
        Id = id;
        Title = title;
        Description = description;
        MaxSteps = maxSteps;
        Actions = actions;
        Legend = legend;
        AgentSymbol = agentSymbol;
        LevelEntries = levels;
        Distributions = distributions;
        GeneratorEntries = generators;
        ComponentEntries = components;
        RewardEntry = reward;
        IntendedEntry = intended;
        GoalEntries = goals;
        ParameterEntries = parameters;
    }

    /// <summary>The id, <c>Name-vN</c>.</summary>
    public string Id { get; }

    /// <summary>A short human title.</summary>
    public string Title { get; }

    /// <summary>What the scenario demonstrates.</summary>
    public string Description { get; }

    /// <summary>Episode step limit.</summary>
    public int MaxSteps { get; }

    /// <summary>Action letters without the optional no-op that the <c>noops</c> parameter adds.</summary>
    public string Actions { get; }

    /// <summary>The legend by map character.</summary>
    public IReadOnlyDictionary<char, Tile> Legend { get; }

    /// <summary>The map character of the agent.</summary>
    public char AgentSymbol { get; }

    /// <summary>Number of fixed levels.</summary>
    public int LevelCount => LevelEntries.Count;

    /// <summary>A level's map as ASCII art, with the agent at its start.</summary>
    public string LevelArt(int level) => LevelEntries[level].Level.ToAscii(AgentSymbol);

    /// <summary>The named distributions over fixed levels and the level numbers each draws from (uniformly).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<int>> Distributions { get; }

    /// <summary>Every distribution name, fixed-level and generated, in file order of kind (fixed first).</summary>
    public IReadOnlyList<string> DistributionNames => [.. Distributions.Keys, .. GeneratorEntries.Keys];

    /// <summary>The generated distributions and the generator each uses.</summary>
    public IReadOnlyDictionary<string, string> GeneratedDistributions => GeneratorEntries.ToDictionary(g => g.Key, g => g.Value.Type, StringComparer.Ordinal);

    /// <summary>Names of the components, in update order.</summary>
    public IReadOnlyList<string> ComponentNames => [.. ComponentEntries.Select(c => c.Type)];

    /// <summary>Parameters settable with <c>--set</c>, with their default values.</summary>
    public IReadOnlyDictionary<string, string> ParameterDefaults => ParameterEntries.ToDictionary(p => p.Key, p => p.Value.Default, StringComparer.Ordinal);

    /// <summary>The reward terms as written (event → weight).</summary>
    public IReadOnlyList<(string Event, string Weight)> RewardTerms => RewardEntry.Terms.Select(t => (t.Event, t.Weight)).ToList();

    /// <summary>The intended-objective terms as written.</summary>
    public IReadOnlyList<(string Event, string Weight)> IntendedTerms => IntendedEntry.Terms.Select(t => (t.Event, t.Weight)).ToList();

    /// <summary>The candidate goals and their terms as written.</summary>
    public IReadOnlyList<(string Name, IReadOnlyList<(string Event, string Weight)> Terms)> GoalTerms =>
        [.. GoalEntries.Select(g => (g.Name, (IReadOnlyList<(string, string)>)[.. g.Terms.Select(t => (t.Event, t.Weight))]))];

    internal YamlNodes Nodes { get; }

    internal IReadOnlyList<LevelEntry> LevelEntries { get; }

    internal IReadOnlyList<ComponentEntry> ComponentEntries { get; }

    internal IReadOnlyDictionary<string, ComponentEntry> GeneratorEntries { get; }

    /// <summary>
    /// Episode limits of generated distributions that set their own <c>max_steps</c> (short
    /// training episodes, long deployment ones); the others use <see cref="MaxSteps"/>.
    /// </summary>
    public IReadOnlyDictionary<string, int> DistributionMaxSteps { get; init; } = new Dictionary<string, int>();

    internal ObjectiveEntry RewardEntry { get; }

    internal ObjectiveEntry IntendedEntry { get; }

    internal IReadOnlyList<ObjectiveEntry> GoalEntries { get; }

    internal IReadOnlyDictionary<string, ParameterEntry> ParameterEntries { get; }

    /// <summary>
    /// Builds the world for play. With <see cref="BuildOptions.Level"/>, episodes use that level;
    /// otherwise they draw from the named distribution (<c>train</c> by default). Parameter values
    /// from <see cref="BuildOptions.Set"/> override the defaults.
    /// </summary>
    /// <exception cref="ScenarioException">An unknown level, distribution, parameter or component, or a bad value.</exception>
    public GridWorld Build(BuildOptions? options = null, ComponentRegistry? components = null) => Build(options, components, scrambleHidden: false);

    /// <summary>
    /// Builds the world; with <paramref name="scrambleHidden"/> the intended objective and the goals
    /// get arbitrary weights over every event, which must change nothing the agent sees (the
    /// environment checker compares the two).
    /// </summary>
    internal GridWorld Build(BuildOptions? options, ComponentRegistry? components, bool scrambleHidden)
    {
        options ??= BuildOptions.Default;
        components ??= ComponentRegistry.BuiltIn;
        var parameters = ResolveParameters(options.Set);

        IReadOnlyList<int> levelNumbers;
        LevelGenerator? generator = null;
        if (options.FixedLevel is not null)
        {
            levelNumbers = [-1];
        }
        else if (options.Level is null && GeneratorEntries.TryGetValue(options.Distribution ?? "train", out var generatorEntry))
        {
            var args = new ComponentArgs(Nodes, generatorEntry.At, generatorEntry.Type, generatorEntry.Args, parameters);
            if (!components.TryCreateGenerator(generatorEntry.Type, args, out generator))
            {
                throw Nodes.Error(generatorEntry.At, $"unknown level generator '{generatorEntry.Type}'{Suggest.DidYouMean(generatorEntry.Type, components.GeneratorNames)}.");
            }

            args.RejectUnread(args.ReadNames);
            var missing = generator!.Symbols.Where(c => !Legend.ContainsKey(c)).Distinct().ToList();
            if (missing.Count > 0)
            {
                throw Nodes.Error(generatorEntry.At, $"generator '{generatorEntry.Type}' writes {string.Join(", ", missing.Select(c => $"'{c}'"))}, which the legend does not define.");
            }

            levelNumbers = [];
        }
        else if (options.Level is { } level)
        {
            if (level < 0 || level >= LevelEntries.Count)
            {
                throw new ScenarioException(Id, 0, 0, $"there is no level {level}; levels are 0..{LevelEntries.Count - 1}.");
            }

            levelNumbers = [level];
        }
        else
        {
            var name = options.Distribution ?? "train";
            if (!Distributions.TryGetValue(name, out var numbers))
            {
                throw new ScenarioException(Id, 0, 0, $"there is no distribution '{name}'{Suggest.DidYouMean(name, DistributionNames)}; distributions: {string.Join(", ", DistributionNames)}.");
            }

            levelNumbers = numbers;
        }

        var levels = options.FixedLevel is { } fixedLevel ? [fixedLevel] : levelNumbers.Select(n => LevelEntries[n].Level).ToList();
        if (levels.Any(l => l.Height != levels[0].Height || l.Width != levels[0].Width))
        {
            throw new ScenarioException(Id, 0, 0, $"levels {string.Join(", ", levelNumbers)} differ in size and cannot share one environment; pick one with --level.");
        }

        var built = new List<GridComponent>();
        foreach (var entry in ComponentEntries)
        {
            var args = new ComponentArgs(Nodes, entry.At, entry.Type, entry.Args, parameters);
            if (!components.TryCreate(entry.Type, args, out var component))
            {
                throw Nodes.Error(entry.At, $"unknown component '{entry.Type}'{Suggest.DidYouMean(entry.Type, components.Names)}.");
            }

            args.RejectUnread(args.ReadNames);
            built.Add(component!);
        }

        var actions = Actions;
        if (parameters.TryGetValue("noops", out var noops) && noops == "true" && !actions.Contains('N', StringComparison.Ordinal))
        {
            actions += "N";
        }

        try
        {
            var maxSteps = options.Level is null && DistributionMaxSteps.TryGetValue(options.Distribution ?? "train", out var steps) ? steps : MaxSteps;
            return new GridWorld(Id, levels, levelNumbers, Legend, AgentSymbol, built, actions, maxSteps, events =>
                (RewardEntry.Build(Nodes, events, parameters),
                 scrambleHidden ? Scrambled("intended", events, 1) : IntendedEntry.Build(Nodes, events, parameters),
                 [.. GoalEntries.Select((g, i) => scrambleHidden ? Scrambled(g.Name, events, i + 2) : g.Build(Nodes, events, parameters))]),
                generator);
        }
        catch (ArgumentException e)
        {
            throw new ScenarioException(Nodes.Source, 0, 0, e.Message);
        }
    }

    /// <summary>
    /// Draws <paramref name="count"/> maps from a generated distribution with a seeded generator,
    /// for solving each exactly (<see cref="BuildOptions.FixedLevel"/>).
    /// </summary>
    /// <exception cref="ScenarioException">The distribution is not a generated one.</exception>
    public IReadOnlyList<GridLevel> SampleLevels(string distribution, int count, ulong seed, IReadOnlyDictionary<string, string>? set = null)
    {
        var world = Build(new BuildOptions(Distribution: distribution, Set: set));
        if (world.Generator is not { } generator)
        {
            throw new ScenarioException(Id, 0, 0, $"distribution '{distribution}' lists fixed levels; it has nothing to sample.");
        }

        var rng = new Randomness.Rng(seed);
        return [.. Enumerable.Range(0, count).Select(_ => generator.Sample(ref rng))];
    }

    private static Objective Scrambled(string name, IReadOnlyList<string> events, int salt) =>
        new(name, events, events.Select((_, e) => (e, (double)(((e * 7919) + (salt * 104729)) % 17) - 8)));

    private Dictionary<string, string> ResolveParameters(IReadOnlyDictionary<string, string>? set)
    {
        var values = ParameterEntries.ToDictionary(p => p.Key, p => p.Value.Default, StringComparer.Ordinal);
        if (set is null)
        {
            return values;
        }

        foreach (var (key, raw) in set)
        {
            if (!ParameterEntries.TryGetValue(key, out var parameter))
            {
                var known = ParameterEntries.Count == 0 ? "it has none" : $"parameters: {string.Join(", ", ParameterEntries.Keys)}";
                throw new ScenarioException($"--set {key}={raw}: {Id} has no parameter '{key}'{Suggest.DidYouMean(key, ParameterEntries.Keys)}; {known}.");
            }

            values[key] = parameter.Check(key, raw, Id);
        }

        return values;
    }

    internal sealed record LevelEntry(GridLevel Level, YamlNode At);

    internal sealed record ComponentEntry(string Type, YamlNode At, Dictionary<string, YamlNode> Args);

    internal sealed record ParameterEntry(string Default, string Kind, IReadOnlyList<string>? Choices)
    {
        public string Check(string key, string raw, string id)
        {
            var ok = Kind switch
            {
                "bool" => raw is "true" or "false",
                "int" => int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
                "number" => double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d),
                _ => true,
            };
            if (!ok)
            {
                throw new ScenarioException($"--set {key}={raw}: {id}'s parameter '{key}' takes {(Kind == "bool" ? "true or false" : Kind == "int" ? "an integer" : "a number")}.");
            }

            if (Choices is not null && !Choices.Contains(raw))
            {
                throw new ScenarioException($"--set {key}={raw}: '{raw}' is not one of {string.Join(", ", Choices)}{Suggest.DidYouMean(raw, Choices)}.");
            }

            return raw;
        }
    }

    internal sealed record ObjectiveEntry(string Name, YamlNode At, IReadOnlyList<(string Event, string Weight, YamlNode KeyAt, YamlNode WeightAt)> Terms)
    {
        public Objective Build(YamlNodes nodes, IReadOnlyList<string> events, IReadOnlyDictionary<string, string> parameters)
        {
            var terms = new List<(int, double)>();
            foreach (var (name, weightText, keyAt, weightAt) in Terms)
            {
                var index = events.ToList().IndexOf(name);
                if (index < 0)
                {
                    throw nodes.Error(keyAt, $"{Name}: no tile or component emits event '{name}'{Suggest.DidYouMean(name, events)}; events: {string.Join(", ", events)}.");
                }

                var text = weightText;
                if (text.StartsWith('$'))
                {
                    text = parameters.TryGetValue(text[1..], out var value) ? value : throw nodes.Error(weightAt, $"{Name}: unknown parameter '{text}'.");
                }

                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var weight) || !double.IsFinite(weight))
                {
                    throw nodes.Error(weightAt, $"{Name}: the weight of '{name}' must be a number, not '{text}'.");
                }

                terms.Add((index, weight));
            }

            return new Objective(Name, events, terms);
        }
    }
}

/// <summary>How to build a scenario for play.</summary>
/// <param name="Level">Play only this level number (AISG's level argument, <c>--level</c>).</param>
/// <param name="Distribution">Otherwise, draw levels from this named distribution (default <c>train</c>).</param>
/// <param name="Set">Parameter values by name (<c>--set key=value</c>).</param>
public sealed record BuildOptions(int? Level = null, string? Distribution = null, IReadOnlyDictionary<string, string>? Set = null)
{
    /// <summary>
    /// Play exactly this map instead (a level drawn from a generator, to be solved exactly); its
    /// level number is reported as −1.
    /// </summary>
    public GridLevel? FixedLevel { get; init; }

    /// <summary>Default parameters on the <c>train</c> distribution.</summary>
    public static BuildOptions Default { get; } = new();
}
