using AlignLab.Grid;

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

    /// <summary>
    /// Every <see cref="GridComponent"/> in this assembly marked with <see cref="ComponentAttribute"/>;
    /// each must have a public constructor taking <see cref="ComponentArgs"/>.
    /// </summary>
    private static ComponentRegistry CreateBuiltIn()
    {
        var registry = new ComponentRegistry();
        var types = typeof(GridComponent).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(GridComponent)) && !t.IsAbstract)
            .Select(t => (Type: t, Attribute: t.GetCustomAttributes(typeof(ComponentAttribute), false).OfType<ComponentAttribute>().FirstOrDefault()))
            .Where(x => x.Attribute is not null)
            .OrderBy(x => x.Attribute!.Name, StringComparer.Ordinal);
        foreach (var (type, attribute) in types)
        {
            var constructor = type.GetConstructor([typeof(ComponentArgs)])
                ?? throw new InvalidOperationException($"Component {type.Name} needs a public constructor taking ComponentArgs.");
            registry.Register(attribute!.Name, args =>
            {
                try
                {
                    return (GridComponent)constructor.Invoke([args]);
                }
                catch (System.Reflection.TargetInvocationException e) when (e.InnerException is not null)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                    throw;
                }
            });
        }

        return registry;
    }
}
