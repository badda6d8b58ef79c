namespace AlignLab.Scenarios;

/// <summary>
/// The scenarios known by id: the built-in suite (YAML files embedded from <c>scenarios/</c>)
/// and any added at run time. An unknown id gets an error that suggests close matches.
/// </summary>
public sealed class ScenarioRegistry
{
    private static readonly Lazy<ScenarioRegistry> LazyBuiltIn = new(LoadBuiltIn);
    private readonly Dictionary<string, ScenarioDefinition> _scenarios = new(StringComparer.Ordinal);

    /// <summary>The built-in suite.</summary>
    public static ScenarioRegistry BuiltIn => LazyBuiltIn.Value;

    /// <summary>Registered ids, sorted.</summary>
    public IReadOnlyList<string> Ids => [.. _scenarios.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Adds a scenario; its id must be new.</summary>
    public void Add(ScenarioDefinition scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        if (!_scenarios.TryAdd(scenario.Id, scenario))
        {
            throw new InvalidOperationException($"Scenario id '{scenario.Id}' is registered twice.");
        }
    }

    /// <summary>
    /// The scenario with this id; a path to a <c>.yaml</c> file is read from disk instead.
    /// </summary>
    /// <exception cref="ScenarioException">No such id (with suggestions) or a malformed file.</exception>
    public ScenarioDefinition Get(string idOrPath)
    {
        ArgumentNullException.ThrowIfNull(idOrPath);
        if (_scenarios.TryGetValue(idOrPath, out var scenario))
        {
            return scenario;
        }

        if (idOrPath.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || idOrPath.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
        {
            return ScenarioParser.ParseFile(idOrPath);
        }

        var exact = _scenarios.Keys.FirstOrDefault(k => string.Equals(k, idOrPath, StringComparison.OrdinalIgnoreCase));
        var hint = exact is not null ? $" (did you mean '{exact}'?)" : Suggest.DidYouMean(idOrPath, _scenarios.Keys);
        throw new ScenarioException($"unknown scenario id '{idOrPath}'{hint}; run 'alignlab list' to see them all.");
    }

    /// <summary>
    /// The scenario <paramref name="text"/> defines when it is given (the YAML of a scenario file, as a stored run keeps
    /// it; <paramref name="idOrPath"/> then only names it in messages), otherwise <see cref="Get(string)"/>.
    /// </summary>
    /// <exception cref="ScenarioException">No such id, or malformed text or file.</exception>
    public ScenarioDefinition Get(string idOrPath, string? text) => text is null ? Get(idOrPath) : ScenarioParser.Parse(text, idOrPath);

    private static ScenarioRegistry LoadBuiltIn()
    {
        var registry = new ScenarioRegistry();
        var assembly = typeof(ScenarioRegistry).Assembly;
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("scenarios/", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            // Named as what it is, not as a path: the user's working directory need not hold scenarios/.
            registry.Add(ScenarioParser.Parse(reader.ReadToEnd(), "built-in " + name));
        }

        return registry;
    }
}
