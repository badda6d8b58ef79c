using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using AlignLab.Randomness;

namespace AlignLab.Grid;

/// <summary>
/// Everything a component may read or change during one reset or step: the cells, the agent,
/// the component variables, the events of this step and the chance source. It is a view over
/// the environment's arrays (single or batched), so using it allocates nothing.
/// </summary>
public ref struct StepContext
{
    private readonly Span<byte> _cells;
    private readonly Span<int> _vars;
    private readonly Span<double> _events;
    private readonly ref int _agent;
    private readonly ref Rng _rng;
    private readonly ChanceScript? _chance;

    internal StepContext(GridWorld world, Span<byte> cells, ref int agent, Span<int> vars, Span<double> events, ref Rng rng, ChanceScript? chance)
    {
        World = world;
        _cells = cells;
        _agent = ref agent;
        _vars = vars;
        _events = events;
        _rng = ref rng;
        _chance = chance;
        PreviousAgent = agent;
        Move = 'N';
    }

    /// <summary>The compiled scenario this step belongs to.</summary>
    public GridWorld World { get; }

    /// <summary>Board width.</summary>
    public readonly int Width => World.Width;

    /// <summary>Board height.</summary>
    public readonly int Height => World.Height;

    /// <summary>The move letter (U, D, L, R, N) being carried out; components that run before the move may change it.</summary>
    public char Move { get; set; }

    /// <summary>The agent's cell index before this step's move.</summary>
    public int PreviousAgent { get; internal set; }

    /// <summary>The agent's current cell index (row-major).</summary>
    public readonly int Agent => _agent;

    /// <summary>The agent's current row.</summary>
    public readonly int AgentRow => _agent / World.Width;

    /// <summary>The agent's current column.</summary>
    public readonly int AgentCol => _agent % World.Width;

    /// <summary>Set once a component or tile ends the episode in this step.</summary>
    public bool Terminated { get; private set; }

    /// <summary>The cells (map characters), row-major; writable.</summary>
    public readonly Span<byte> Cells => _cells;

    /// <summary>The character at a cell index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly char CellAt(int index) => (char)_cells[index];

    /// <summary>Sets the character at a cell index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void SetCell(int index, char symbol) => _cells[index] = (byte)symbol;

    /// <summary>Moves the agent to a cell; used by components that move it themselves.</summary>
    public readonly void SetAgent(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _cells.Length);
        _agent = index;
    }

    /// <summary>A component variable, declared in <see cref="GridComponent.Bind"/>; writable by reference.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly ref int Var(VarId id) => ref _vars[id.Index];

    /// <summary>A float64 variable declared with <see cref="ComponentBinder.DoubleVar"/>; writable by reference.</summary>
    public readonly ref double DoubleVar(VarId id) => ref MemoryMarshal.Cast<int, double>(_vars.Slice(id.Index, 2))[0];

    /// <summary>Adds <paramref name="amount"/> occurrences of an event to this step.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Emit(EventId id, double amount = 1.0) => _events[id.Index] += amount;

    /// <summary>Ends the episode at the end of this step (terminated, not truncated).</summary>
    public void Terminate() => Terminated = true;

    /// <summary>True with probability <paramref name="p"/>, from the environment's own generator (or, in the exact solver, enumerated).</summary>
    public readonly bool Bernoulli(double p) => _chance is null ? _rng.Bernoulli(p) : _chance.Bernoulli(p);

    /// <summary>A uniform integer in [0, n), from the environment's own generator (or enumerated by the solver).</summary>
    public readonly int UniformInt(int n) => _chance is null ? _rng.NextInt(n) : _chance.UniformInt(n);
}

/// <summary>Handle to an event declared by a component or tile; indexes the per-step event vector.</summary>
/// <param name="Index">Position in <see cref="GridWorld.EventNames"/>.</param>
public readonly record struct EventId(int Index);

/// <summary>Handle to an integer state variable declared by a component.</summary>
/// <param name="Index">Position in the state's variable array.</param>
public readonly record struct VarId(int Index);
