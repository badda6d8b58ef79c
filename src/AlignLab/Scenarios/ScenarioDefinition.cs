using System.Globalization;
using AlignLab.Grid;
using AlignLab.Objectives;

namespace AlignLab.Scenarios;

/// <summary>
/// A scenario as compiled from its file (<see cref="ScenarioParser"/>), before it is built for play:
/// maps, legend, components, objectives, goals, distributions and parameters, each with the file
/// location that later errors point at. Building turns it into
/// a <see cref="GridWorld"/> for one choice of level or distribution and parameter values (see <c>Build</c>).
/// </summary>
public sealed class ScenarioDefinition
{
    internal ScenarioDefinition(
        string source,
        string id,
        string title,
        string description,
        int maxSteps,
        string actions,
        IReadOnlyDictionary<char, Tile> legend,
        char agentSymbol,
        IReadOnlyList<GridLevel> levels,
        IReadOnlyDictionary<string, IReadOnlyList<int>> distributions,
        IReadOnlyDictionary<string, ComponentEntry> generators,
        IReadOnlyList<ComponentEntry> components,
        ObjectiveEntry reward,
        ObjectiveEntry intended,
        IReadOnlyList<ObjectiveEntry> goals,
        IReadOnlyDictionary<string, ParameterEntry> parameters)
    {
        Source = source;
        Id = id;
        Title = title;
        Description = description;
        MaxSteps = maxSteps;
        Actions = actions;
        Legend = legend;
        AgentSymbol = agentSymbol;
        Levels = levels;
        Distributions = distributions;
        GeneratorEntries = generators;
        ComponentEntries = components;
        RewardEntry = reward;
        IntendedEntry = intended;
        GoalEntries = goals;
        ParameterEntries = parameters;
    }

    /// <summary>
    /// The terms of the scenario's <c>observed:</c> block: a visible proxy of the intended objective,
    /// written in the observable feature language (see <c>Preferences.FeatureTermReader</c>); empty when it has none.
    /// </summary>
    internal IReadOnlyList<Preferences.FeatureTermSyntax> ObservedTerms { get; init; } = [];

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
    public int LevelCount => Levels.Count;

    /// <summary>A level's map as ASCII art, with the agent at its start.</summary>
    public string LevelArt(int level) => Levels[level].ToAscii(AgentSymbol);

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
    public IReadOnlyList<(string Event, string Weight)> RewardTerms => RewardEntry.Terms.Select(t => (t.Event.Value, t.Weight.Value)).ToList();

    /// <summary>The intended-objective terms as written.</summary>
    public IReadOnlyList<(string Event, string Weight)> IntendedTerms => IntendedEntry.Terms.Select(t => (t.Event.Value, t.Weight.Value)).ToList();

    /// <summary>The candidate goals and their terms as written.</summary>
    public IReadOnlyList<(string Name, IReadOnlyList<(string Event, string Weight)> Terms)> GoalTerms =>
        [.. GoalEntries.Select(g => (g.Name, (IReadOnlyList<(string, string)>)[.. g.Terms.Select(t => (t.Event.Value, t.Weight.Value))]))];

    /// <summary>The file (or resource) the scenario was read from, named in errors found when it is built.</summary>
    internal string Source { get; }

    /// <summary>The fixed levels, with the agent's start cell holding the tile beneath it.</summary>
    internal IReadOnlyList<GridLevel> Levels { get; }

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
            var args = new ComponentArgs(generatorEntry, parameters, "generator");
            if (!Located(generatorEntry, "generator", () => components.TryCreateGenerator(generatorEntry.Type, args, out generator)))
            {
                throw generatorEntry.At.Error($"unknown level generator '{generatorEntry.Type}'{Suggest.DidYouMean(generatorEntry.Type, components.GeneratorNames)}.");
            }

            args.RejectUnread();
            var missing = generator!.Symbols.Where(c => !Legend.ContainsKey(c)).Distinct().ToList();
            if (missing.Count > 0)
            {
                throw generatorEntry.At.Error($"generator '{generatorEntry.Type}' writes {string.Join(", ", missing.Select(c => $"'{c}'"))}, which the legend does not define.");
            }

            levelNumbers = [];
        }
        else if (options.Level is { } level)
        {
            if (level < 0 || level >= Levels.Count)
            {
                throw new ScenarioException(Id, 0, 0, Levels.Count == 0
                    ? $"there is no level {level}: its distributions are generated (a new map every episode) and it has no numbered levels; choose a distribution instead."
                    : $"there is no level {level}; levels are 0..{Levels.Count - 1}.");
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

        var levels = options.FixedLevel is { } fixedLevel ? [fixedLevel] : levelNumbers.Select(n => Levels[n]).ToList();
        if (levels.Any(l => l.Height != levels[0].Height || l.Width != levels[0].Width))
        {
            throw new ScenarioException(Id, 0, 0, $"levels {string.Join(", ", levelNumbers)} differ in size and cannot share one environment; pick one with --level.");
        }

        var built = new List<GridComponent>();
        foreach (var entry in ComponentEntries)
        {
            var args = new ComponentArgs(entry, parameters);
            GridComponent? component = null;
            if (!Located(entry, "component", () => components.TryCreate(entry.Type, args, out component)))
            {
                throw entry.At.Error($"unknown component '{entry.Type}'{Suggest.DidYouMean(entry.Type, components.Names)}.");
            }

            args.RejectUnread();
            args.RejectSymbolsNotIn(Legend);
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
                (RewardEntry.Build(events, parameters),
                 scrambleHidden ? Scrambled("intended", events, 1) : IntendedEntry.Build(events, parameters),
                 [.. GoalEntries.Select((g, i) => scrambleHidden ? Scrambled(g.Name, events, i + 2) : g.Build(events, parameters))]),
                generator);
        }
        catch (ComponentBindingException e)
        {
            var entry = ComponentEntries[e.ComponentIndex];
            var problem = e.Problem.StartsWith($"{entry.Type}: ", StringComparison.Ordinal) ? e.Problem[(entry.Type.Length + 2)..] : e.Problem;
            throw entry.At.Error($"component '{entry.Type}': {problem}");
        }
        catch (ArgumentException e)
        {
            throw new ScenarioException(Source, 0, 0, WorldCompiler.WithoutParameterName(e));
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

    /// <summary>
    /// Runs a component's or generator's constructor; an argument check it makes with a .NET exception
    /// (rather than <see cref="ComponentArgs.Error"/>) is still reported at its entry in the file.
    /// </summary>
    private static bool Located(ComponentEntry entry, string kind, Func<bool> create)
    {
        try
        {
            return create();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or OverflowException)
        {
            throw entry.At.Error($"{kind} '{entry.Type}': {WorldCompiler.WithoutParameterName(e)}");
        }
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

        string[] names = [.. ParameterEntries.Keys];
        var known = names.Length == 0 ? "it has none" : $"parameters: {string.Join(", ", names)}";
        foreach (var (key, raw) in set)
        {
            UnknownKeys.Reject(key, names, didYouMean => new ScenarioException($"--set {key}={raw}: {Id} has no parameter '{key}'{didYouMean}; {known}."));
            values[key] = ParameterEntries[key].Check(key, raw, Id);
        }

        return values;
    }

    /// <summary>A parameter settable with <c>--set</c>: its default, the kind of value it takes and, when restricted, its choices.</summary>
    internal sealed record ParameterEntry(string Default, ParameterKind Kind, IReadOnlyList<string>? Choices)
    {
        /// <summary>Checks a <c>--set</c> value for this parameter and returns it.</summary>
        public string Check(string key, string raw, string id)
        {
            var ok = Kind switch
            {
                ParameterKind.Bool => raw is "true" or "false",
                ParameterKind.Int => int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
                ParameterKind.Number => double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d),
                ParameterKind.Text => true,
                _ => throw new InvalidOperationException($"Unknown parameter kind {Kind}."),
            };
            if (!ok)
            {
                var takes = Kind switch
                {
                    ParameterKind.Bool => "true or false",
                    ParameterKind.Int => "an integer",
                    _ => "a number",
                };
                throw new ScenarioException($"--set {key}={raw}: {id}'s parameter '{key}' takes {takes}.");
            }

            if (Choices is not null && !Choices.Contains(raw))
            {
                throw new ScenarioException($"--set {key}={raw}: '{raw}' is not one of {string.Join(", ", Choices)}{Suggest.DidYouMean(raw, Choices)}.");
            }

            return raw;
        }
    }

    /// <summary>An objective as compiled: its name and its terms, resolved against the built world's events when built.</summary>
    internal sealed record ObjectiveEntry(string Name, IReadOnlyList<ObjectiveTerm> Terms)
    {
        /// <summary>The objective over <paramref name="events"/>, with <c>$parameter</c> weights resolved from <paramref name="parameters"/>.</summary>
        public Objective Build(IReadOnlyList<string> events, IReadOnlyDictionary<string, string> parameters)
        {
            var terms = new List<(int, double)>();
            foreach (var ((name, keyAt), (weightText, weightAt)) in Terms)
            {
                var index = events.ToList().IndexOf(name);
                if (index < 0)
                {
                    throw keyAt.Error($"{Name}: no tile or component emits event '{name}'{Suggest.DidYouMean(name, events)}; events: {string.Join(", ", events)}.");
                }

                var text = weightText;
                if (text.StartsWith('$'))
                {
                    text = parameters.TryGetValue(text[1..], out var value) ? value : throw weightAt.Error($"{Name}: unknown parameter '{text}'.");
                }

                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var weight) || !double.IsFinite(weight))
                {
                    throw weightAt.Error($"{Name}: the weight of '{name}' must be a number, not '{text}'.");
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
