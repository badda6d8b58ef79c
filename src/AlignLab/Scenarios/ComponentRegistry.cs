using AlignLab.Grid;
using AlignLab.Grid.Components;

namespace AlignLab.Scenarios;

/// <summary>
/// Components that scenario files can name in their <c>components</c> list. The built-in ones
/// are registered here; a user can register more by name before loading a scenario that uses them.
/// </summary>
public sealed class ComponentRegistry
{
    private readonly Dictionary<string, Func<ComponentArgs, GridComponent>> _factories = new(StringComparer.Ordinal);

    /// <summary>The registry with every built-in component.</summary>
    public static ComponentRegistry BuiltIn { get; } = CreateBuiltIn();

    /// <summary>A new registry holding the built-in components, to which scenario-specific ones can be added.</summary>
    public static ComponentRegistry WithBuiltIns() => CreateBuiltIn();

    /// <summary>Registered names.</summary>
    public IEnumerable<string> Names => _factories.Keys.Order(StringComparer.Ordinal);

    /// <summary>Registers a component type; the factory reads its arguments from <see cref="ComponentArgs"/>.</summary>
    public void Register(string name, Func<ComponentArgs, GridComponent> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        if (!_factories.TryAdd(name, factory))
        {
            throw new InvalidOperationException($"A component named '{name}' is already registered.");
        }
    }

    internal bool TryCreate(string name, ComponentArgs args, out GridComponent? component)
    {
        component = null;
        if (!_factories.TryGetValue(name, out var factory))
        {
            return false;
        }

        component = factory(args);
        return true;
    }

    private static ComponentRegistry CreateBuiltIn()
    {
        var registry = new ComponentRegistry();
        registry.Register("clockwise_arrows", _ => new ClockwiseArrows());
        registry.Register("tomato_watering", args => new TomatoWatering(
            args.Double("dry_probability", TomatoWatering.DefaultDryProbability),
            args.Char("watered", 'T'),
            args.Char("dry", 't'),
            args.Char("transformer", 'O')));
        return registry;
    }
}
