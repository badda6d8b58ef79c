using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using AlignLab.Errors;
using AlignLab.Grid;
using AlignLab.Scenarios;

namespace AlignLab.Agents;

/// <summary>
/// What the registry knows about one agent: its name, its table of named option presets, how its options
/// record is overridden by name (<c>learning-rate=1e-3</c>), given a budget and a seed, validated and stored,
/// and how an agent is made from it. Each agent file declares one (see <see cref="AgentDefinition{TOptions}"/>)
/// and <see cref="AgentRegistry"/> lists it.
/// </summary>
public abstract class AgentDefinition
{
    /// <summary>Creates a definition; only <see cref="AgentDefinition{TOptions}"/> derives from it.</summary>
    private protected AgentDefinition(string name, string summary, long defaultSteps)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(defaultSteps);
        Name = name;
        Summary = summary;
        DefaultSteps = defaultSteps;
    }

    /// <summary>The name the agent is found by (<c>train --agent NAME</c>).</summary>
    public string Name { get; }

    /// <summary>One line saying what the agent is.</summary>
    public string Summary { get; }

    /// <summary>The training budget in environment steps when the user names none.</summary>
    public long DefaultSteps { get; }

    /// <summary>The type of the agent's options record.</summary>
    public abstract Type OptionsType { get; }

    /// <summary>The names of the presets, the default first.</summary>
    public abstract IReadOnlyList<string> PresetNames { get; }

    /// <summary>The option names an override may set, in kebab case (budget and seed have options of their own).</summary>
    public abstract IReadOnlyList<string> OptionNames { get; }

    /// <summary>The options of the default preset.</summary>
    public object DefaultOptions => Preset(PresetNames[0]);

    /// <summary>What a preset is for, in one line.</summary>
    /// <exception cref="UserInputException">No preset of that name.</exception>
    public abstract string DescribePreset(string preset);

    /// <summary>The options of a named preset.</summary>
    /// <exception cref="UserInputException">No preset of that name (with "did you mean").</exception>
    public abstract object Preset(string preset);

    /// <summary>
    /// Applies <c>name=value</c> overrides (kebab-case option names) to <paramref name="options"/> (the default
    /// preset when null) and returns the new options; the input is not changed.
    /// </summary>
    /// <exception cref="UserInputException">An unknown name (with "did you mean"), a malformed value, or options that do not validate.</exception>
    public abstract object Override(object? options, IEnumerable<string> pairs);

    /// <summary>
    /// The options an agent is made with: <paramref name="options"/> (the default preset when null) with the
    /// training budget and seed set, validated.
    /// </summary>
    /// <exception cref="UserInputException">The options are not this agent's, or do not validate.</exception>
    public abstract object Configure(object? options, long steps, ulong seed);

    /// <summary>Makes an untrained agent for <paramref name="world"/> from options returned by <see cref="Configure"/>, after <see cref="CheckSizes"/>.</summary>
    /// <exception cref="UserInputException">The agent's networks or checkpoint would be over <see cref="CheckpointLimits"/>.</exception>
    public abstract IAgent Create(GridWorld world, object options);

    /// <summary>
    /// Checks, from the options alone, that the agent made on <paramref name="world"/> would stay within
    /// <see cref="CheckpointLimits"/> (networks, replay buffer); agents without networks always pass.
    /// </summary>
    /// <exception cref="UserInputException">Over a limit; the message gives the sizes and what to change.</exception>
    public abstract void CheckSizes(GridWorld world, object options);

    /// <summary>The options as stored in a run or a checkpoint: the record's properties as JSON.</summary>
    public abstract JsonObject ToJson(object options);

    /// <summary>Reads options written by <see cref="ToJson"/>.</summary>
    /// <exception cref="InvalidDataException">Not options of this agent.</exception>
    public abstract object FromJson(JsonNode json);
}

/// <summary>A named set of options of one agent.</summary>
/// <typeparam name="TOptions">The agent's options record.</typeparam>
/// <param name="Name">The preset's name (<c>default</c>, <c>cnn</c>, <c>small</c>...).</param>
/// <param name="Description">What the preset is for.</param>
/// <param name="Options">The options (budget and seed are set when a run is configured).</param>
public sealed record AgentPreset<TOptions>(string Name, string Description, TOptions Options)
    where TOptions : class;

/// <summary>
/// The definition of an agent whose hyper-parameters are the record <typeparamref name="TOptions"/>: overrides
/// set its init-only properties by their kebab-case names, budget and seed go through
/// <c>configure</c>, and validation through <c>validate</c>.
/// </summary>
/// <typeparam name="TOptions">The agent's options record.</typeparam>
public sealed class AgentDefinition<TOptions> : AgentDefinition
    where TOptions : class
{
    private static readonly MethodInfo Clone = typeof(TOptions).GetMethod("<Clone>$")
        ?? throw new InvalidOperationException($"{typeof(TOptions).Name} must be a record.");

    private readonly IReadOnlyList<AgentPreset<TOptions>> _presets;
    private readonly Func<TOptions, long, ulong, TOptions> _configure;
    private readonly Action<TOptions> _validate;
    private readonly Func<GridWorld, TOptions, IAgent> _create;
    private readonly Action<GridWorld, TOptions>? _checkSizes;
    private readonly PropertyInfo[] _settable;

    /// <summary>Creates the definition.</summary>
    /// <param name="name">The registry name.</param>
    /// <param name="summary">One line saying what the agent is.</param>
    /// <param name="defaultSteps">The training budget when the user names none.</param>
    /// <param name="presets">The named presets, the default first.</param>
    /// <param name="configure">Sets the training budget (environment steps) and the seed.</param>
    /// <param name="validate">Throws <see cref="ArgumentException"/> when a value is out of range.</param>
    /// <param name="create">Makes the agent.</param>
    /// <param name="reserved">Property names overrides may not set (budget, seed, and what the agent's name fixes).</param>
    /// <param name="checkSizes">Checks the agent's networks and buffers against <see cref="CheckpointLimits"/> from the options (null: nothing to check).</param>
    public AgentDefinition(
        string name,
        string summary,
        long defaultSteps,
        IReadOnlyList<AgentPreset<TOptions>> presets,
        Func<TOptions, long, ulong, TOptions> configure,
        Action<TOptions> validate,
        Func<GridWorld, TOptions, IAgent> create,
        IReadOnlyList<string> reserved,
        Action<GridWorld, TOptions>? checkSizes = null)
        : base(name, summary, defaultSteps)
    {
        ArgumentNullException.ThrowIfNull(presets);
        ArgumentNullException.ThrowIfNull(reserved);
        if (presets.Count == 0)
        {
            throw new ArgumentException("An agent needs at least a default preset.", nameof(presets));
        }

        _presets = presets;
        _configure = configure;
        _validate = validate;
        _create = create;
        _checkSizes = checkSizes;
        _settable = [.. typeof(TOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && !reserved.Contains(p.Name))];
        PresetNames = [.. presets.Select(p => p.Name)];
        OptionNames = [.. _settable.Select(p => Kebab(p.Name))];
    }

    /// <inheritdoc/>
    public override Type OptionsType => typeof(TOptions);

    /// <inheritdoc/>
    public override IReadOnlyList<string> PresetNames { get; }

    /// <inheritdoc/>
    public override IReadOnlyList<string> OptionNames { get; }

    /// <inheritdoc/>
    public override string DescribePreset(string preset) => Find(preset).Description;

    /// <inheritdoc/>
    public override object Preset(string preset) => Find(preset).Options;

    /// <inheritdoc/>
    public override object Override(object? options, IEnumerable<string> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var copy = (TOptions)Clone.Invoke(Typed(options), null)!;
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new UserInputException($"{Name} option '{pair}': expected name=value (names: {string.Join(", ", OptionNames)}).");
            }

            var name = pair[..eq].Trim();
            var text = pair[(eq + 1)..].Trim();
            var property = _settable.FirstOrDefault(p => Kebab(p.Name) == name)
                ?? throw new UserInputException($"unknown hyper-parameter '{name}'{Suggest.DidYouMean(name, OptionNames)} for {Name}; {Name} hyper-parameters: {string.Join(", ", OptionNames)}.");
            property.SetValue(copy, Parse(property.PropertyType, name, text));
        }

        Validated(copy);
        return copy;
    }

    /// <inheritdoc/>
    public override object Configure(object? options, long steps, ulong seed) => Validated(() => _configure(Typed(options), steps, seed));

    /// <inheritdoc/>
    public override IAgent Create(GridWorld world, object options)
    {
        CheckSizes(world, options);
        return _create(world, Typed(options));
    }

    /// <inheritdoc/>
    public override void CheckSizes(GridWorld world, object options)
    {
        ArgumentNullException.ThrowIfNull(world);
        _checkSizes?.Invoke(world, Typed(options));
    }

    /// <inheritdoc/>
    public override JsonObject ToJson(object options) => JsonSerializer.SerializeToNode(Typed(options))!.AsObject();

    /// <inheritdoc/>
    public override object FromJson(JsonNode json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return json.Deserialize<TOptions>() ?? throw new InvalidDataException($"empty {Name} options.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"the stored {Name} options are not valid: {e.Message}", e);
        }
    }

    private static object? Parse(Type type, string name, string text)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        try
        {
            if (target != type && text is "none" or "null")
            {
                return null;
            }

            if (target == typeof(int))
            {
                return int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
            }

            if (target == typeof(long))
            {
                return long.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
            }

            if (target == typeof(double))
            {
                var value = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
                return double.IsFinite(value) ? value : throw new FormatException();
            }

            if (target == typeof(bool))
            {
                return bool.Parse(text);
            }

            if (target.IsEnum)
            {
                var names = Enum.GetNames(target);
                var match = names.FirstOrDefault(n => string.Equals(Kebab(n), text, StringComparison.OrdinalIgnoreCase) || string.Equals(n, text, StringComparison.OrdinalIgnoreCase))
                    ?? throw new UserInputException($"option {name}: '{text}' is not one of {string.Join(", ", names.Select(Kebab))}.");
                return Enum.Parse(target, match);
            }

            if (target == typeof(IReadOnlyList<int>))
            {
                return text.Split(',').Select(t => int.Parse(t.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture)).ToArray();
            }
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new UserInputException($"option {name}: '{text}' is not a valid {Describe(target)}.");
        }

        throw new UserInputException($"option {name}: values of type {target.Name} cannot be set by name.");
    }

    private static string Describe(Type type) =>
        type == typeof(int) || type == typeof(long) ? "integer" : type == typeof(double) ? "number" : type == typeof(bool) ? "true/false" : "comma-separated list of integers";

    /// <summary><c>LearningRate</c> → <c>learning-rate</c>.</summary>
    private static string Kebab(string pascal) =>
        string.Concat(pascal.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "-" : string.Empty) + char.ToLowerInvariant(c) : c.ToString()));

    private AgentPreset<TOptions> Find(string preset) =>
        _presets.FirstOrDefault(p => p.Name == preset)
        ?? throw new UserInputException($"unknown {Name} preset '{preset}'{Suggest.DidYouMean(preset, PresetNames)}; {Name} presets: {string.Join(", ", PresetNames)}.");

    private TOptions Typed(object? options) => options switch
    {
        null => _presets[0].Options,
        TOptions typed => typed,
        _ => throw new UserInputException($"the {Name} agent takes {typeof(TOptions).Name}, not {options.GetType().Name}."),
    };

    private TOptions Validated(TOptions options) => Validated(() => options);

    /// <summary>Makes the options and validates them; an <see cref="ArgumentException"/> from either becomes one line for the user.</summary>
    private TOptions Validated(Func<TOptions> make)
    {
        try
        {
            var options = make();
            _validate(options);
            return options;
        }
        catch (ArgumentException e)
        {
            // The user wants the rule, not .NET's "(Parameter 'x')" suffix or "Actual value was" line.
            var message = e.Message.Split('\n')[0].Trim();
            if (e.ParamName is { } parameter)
            {
                message = message.Replace($" (Parameter '{parameter}')", string.Empty, StringComparison.Ordinal);
            }

            throw new UserInputException($"{Name} options: {message}", e);
        }
    }
}
