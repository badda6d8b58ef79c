using AlignLab.Randomness;

namespace AlignLab.Grid;

/// <summary>
/// A procedural level distribution: draws a fresh map for every episode from the environment's
/// own generator. Generators are written in C#, marked with <see cref="GeneratorAttribute"/>, given
/// a public constructor taking <see cref="Scenarios.ComponentArgs"/>, and named in a scenario
/// file's <c>distributions</c> as <c>{generator: name, with: {...}}</c>, so that <c>train</c> and
/// each deployment distribution differ only in the arguments that are meant to differ.
/// </summary>
public abstract class LevelGenerator
{
    /// <summary>Rows of every map drawn.</summary>
    public abstract int Height { get; }

    /// <summary>Columns of every map drawn.</summary>
    public abstract int Width { get; }

    /// <summary>Every map character this generator may write (each must be in the scenario's legend).</summary>
    public abstract string Symbols { get; }

    /// <summary>
    /// Writes a fresh map into <paramref name="cells"/> (row-major, H×W, the agent's start cell
    /// holding the tile beneath the agent) and returns the agent's start index. All randomness must
    /// come from <paramref name="rng"/>.
    /// </summary>
    public abstract int Generate(ref Rng rng, Span<byte> cells);

    /// <summary>Draws one map as a <see cref="GridLevel"/> (for solving sampled levels exactly, or for reports).</summary>
    public GridLevel Sample(ref Rng rng)
    {
        var cells = new byte[Height * Width];
        var agent = Generate(ref rng, cells);
        return new GridLevel(Height, Width, cells, agent);
    }
}

/// <summary>Marks a <see cref="LevelGenerator"/> as available to scenario files under a name.</summary>
/// <param name="name">The name used in a distribution's <c>generator</c> entry.</param>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class GeneratorAttribute(string name) : Attribute
{
    /// <summary>The name used in scenario files.</summary>
    public string Name { get; } = name;
}
