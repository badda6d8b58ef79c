using AlignLab.Grid;

namespace AlignLab.Scenarios;

/// <summary>
/// Components that scenario files can name in their <c>components</c> list. The built-in ones
/// are registered here; a user can register more by name before loading a scenario that uses them.
/// </summary>
public sealed class ComponentRegistry
{
    private readonly Dictionary<string, Func<ComponentArgs, GridComponent>> _factories = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<ComponentArgs, LevelGenerator>> _generators = new(StringComparer.Ordinal);

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

    /// <summary>Registered level generator names.</summary>
    public IEnumerable<string> GeneratorNames => _generators.Keys.Order(StringComparer.Ordinal);

    /// <summary>Registers a level generator; the factory reads its arguments from <see cref="ComponentArgs"/>.</summary>
    public void RegisterGenerator(string name, Func<ComponentArgs, LevelGenerator> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        if (!_generators.TryAdd(name, factory))
        {
            throw new InvalidOperationException($"A generator named '{name}' is already registered.");
        }
    }

    internal bool TryCreateGenerator(string name, ComponentArgs args, out LevelGenerator? generator)
    {
        generator = null;
        if (!_generators.TryGetValue(name, out var factory))
        {
            return false;
        }

        generator = factory(args);
        return true;
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
        foreach (var (name, create) in Discover<GridComponent, ComponentAttribute>(a => a.Name))
        {
            registry.Register(name, create);
        }

        foreach (var (name, create) in Discover<LevelGenerator, GeneratorAttribute>(a => a.Name))
        {
            registry.RegisterGenerator(name, create);
        }

        return registry;
    }

    /// <summary>
    /// Every concrete <typeparamref name="TBase"/> in this assembly marked with
    /// <typeparamref name="TAttribute"/>; each must have a public constructor taking
    /// <see cref="ComponentArgs"/>.
    /// </summary>
    private static IEnumerable<(string Name, Func<ComponentArgs, TBase> Create)> Discover<TBase, TAttribute>(Func<TAttribute, string> nameOf)
        where TBase : class
        where TAttribute : Attribute
    {
        var types = typeof(TBase).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(TBase)) && !t.IsAbstract)
            .Select(t => (Type: t, Attribute: t.GetCustomAttributes(typeof(TAttribute), false).OfType<TAttribute>().FirstOrDefault()))
            .Where(x => x.Attribute is not null)
            .OrderBy(x => nameOf(x.Attribute!), StringComparer.Ordinal);
        foreach (var (type, attribute) in types)
        {
            var constructor = type.GetConstructor([typeof(ComponentArgs)])
                ?? throw new InvalidOperationException($"{type.Name} needs a public constructor taking ComponentArgs.");
            yield return (nameOf(attribute!), args =>
            {
                try
                {
                    return (TBase)constructor.Invoke([args]);
                }
                catch (System.Reflection.TargetInvocationException e) when (e.InnerException is not null)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
                    throw;
                }
            }
            );
        }
    }
}
