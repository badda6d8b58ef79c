using AlignLab.Objectives;
using AlignLab.Randomness;

namespace AlignLab.Grid;

/// <summary>
/// A scenario compiled for play: a pool of same-sized levels, the legend, the components, the
/// event table and the objectives. It holds no episode state; environments (single or batched)
/// keep that in their own arrays and call <see cref="ResetState"/> and <see cref="StepState"/>.
/// Its lookup tables are built by <see cref="WorldCompiler"/>; its boards are turned into
/// one-hot observations by its <see cref="Encoder"/>.
/// </summary>
public sealed class GridWorld
{
    /// <summary>Index of the built-in <c>step</c> event, emitted once per step.</summary>
    public const int StepEvent = 0;

    private readonly Tile?[] _tiles;
    private readonly int[] _touchEvent;
    private readonly GridComponent[] _components;
    private readonly IEntryHandler[] _entryHandlers;
    private readonly IBoardRenderer[] _renderers;
    private readonly IExtrasObserver[] _observers;
    private readonly bool[] _persistent;

    internal GridWorld(
        string id,
        IReadOnlyList<GridLevel> levels,
        IReadOnlyList<int> levelNumbers,
        IReadOnlyDictionary<char, Tile> legend,
        char agentSymbol,
        IReadOnlyList<GridComponent> components,
        string actionLetters,
        int maxSteps,
        Func<IReadOnlyList<string>, (Objective Reward, Objective Intended, IReadOnlyList<Objective> Goals)> objectives,
        LevelGenerator? generator = null)
    {
        if (levels.Count == 0 && generator is null)
        {
            throw new ArgumentException("A world needs at least one level or a level generator.", nameof(levels));
        }

        Id = id;
        Levels = levels;
        LevelNumbers = levelNumbers;
        Generator = generator;
        Height = generator?.Height ?? levels[0].Height;
        Width = generator?.Width ?? levels[0].Width;
        if (levels.Any(l => l.Height != Height || l.Width != Width))
        {
            throw new ArgumentException("Levels played in one environment must share one size.", nameof(levels));
        }

        Legend = legend;
        AgentSymbol = agentSymbol;
        ActionLetters = actionLetters;
        MaxSteps = maxSteps;

        var tables = WorldCompiler.Compile(levels, legend, components, Height, Width);
        _tiles = tables.Tiles;
        _touchEvent = tables.TouchEvents;
        _components = tables.Components;
        _entryHandlers = tables.EntryHandlers;
        _renderers = tables.BoardRenderers;
        _observers = tables.ExtrasObservers;
        _persistent = tables.PersistentVars;
        EventNames = tables.EventNames;
        VarNames = tables.VarNames;
        ExtraNames = tables.ExtraNames;
        Encoder = new ObservationEncoder(legend);
        (Reward, Intended, Goals) = objectives(EventNames);
    }

    /// <summary>A copy of <paramref name="source"/> sharing its tables, with another visible step reward.</summary>
    private GridWorld(GridWorld source, IStepReward stepReward)
    {
        Id = source.Id;
        Levels = source.Levels;
        LevelNumbers = source.LevelNumbers;
        Generator = source.Generator;
        Height = source.Height;
        Width = source.Width;
        Legend = source.Legend;
        AgentSymbol = source.AgentSymbol;
        ActionLetters = source.ActionLetters;
        MaxSteps = source.MaxSteps;
        _tiles = source._tiles;
        _touchEvent = source._touchEvent;
        _components = source._components;
        _entryHandlers = source._entryHandlers;
        _renderers = source._renderers;
        _observers = source._observers;
        _persistent = source._persistent;
        EventNames = source.EventNames;
        VarNames = source.VarNames;
        ExtraNames = source.ExtraNames;
        Encoder = source.Encoder;
        Reward = source.Reward;
        Intended = source.Intended;
        Goals = source.Goals;
        StepReward = stepReward;
    }

    /// <summary>
    /// The same world whose environments report <paramref name="reward"/>'s r(board before, action, board after) as
    /// the visible reward instead of <see cref="Reward"/>'s event sum (see <see cref="StepReward"/>). Everything
    /// else is shared with this world: levels, dynamics, observations, the specified reward and the hidden
    /// intended objective and goals, which the exact solver and the hidden channel keep reading.
    /// </summary>
    /// <param name="reward">The reward of a step from the rendered boards; called once per environment step.</param>
    /// <returns>A new world; this one is unchanged.</returns>
    internal GridWorld WithStepReward(IStepReward reward)
    {
        ArgumentNullException.ThrowIfNull(reward);
        return new GridWorld(this, reward);
    }

    /// <summary>
    /// The visible reward of a step as the environments compute it, when it is not the specified reward's event sum:
    /// r(o, a, o′) of the board before the step, the action and the board after it (for a step that ends the episode,
    /// the board the step led to, as the exact solver renders a terminal transition). Null: <see cref="Reward"/>.
    /// </summary>
    internal IStepReward? StepReward { get; }

    /// <summary>The one-hot encoding of this world's boards (one channel per legend character).</summary>
    internal ObservationEncoder Encoder { get; }

    /// <summary>The components, in update order (the exact solver inspects them for factored models).</summary>
    internal IReadOnlyList<GridComponent> Components => _components;

    /// <summary>The scenario id this world was compiled from.</summary>
    public string Id { get; }

    /// <summary>The levels an episode may start in (uniformly at random when there are several).</summary>
    public IReadOnlyList<GridLevel> Levels { get; }

    /// <summary>The procedural generator that draws a new map every episode, or null for fixed levels.</summary>
    public LevelGenerator? Generator { get; }

    /// <summary>The scenario's level numbers of <see cref="Levels"/>, in the same order.</summary>
    public IReadOnlyList<int> LevelNumbers { get; }

    /// <summary>Board height.</summary>
    public int Height { get; }

    /// <summary>Board width.</summary>
    public int Width { get; }

    /// <summary>Number of cells, H·W.</summary>
    public int CellCount => Height * Width;

    /// <summary>The legend: what each map character is.</summary>
    public IReadOnlyDictionary<char, Tile> Legend { get; }

    /// <summary>The character that shows the agent on the board.</summary>
    public char AgentSymbol { get; }

    /// <summary>The action letters, in action-index order.</summary>
    public string ActionLetters { get; }

    /// <summary>Episode step limit (truncation).</summary>
    public int MaxSteps { get; }

    /// <summary>Names of every event, indexed as in a step's event vector; index 0 is <c>step</c>.</summary>
    public IReadOnlyList<string> EventNames { get; }

    /// <summary>Names of the component state variables.</summary>
    public IReadOnlyList<string> VarNames { get; }

    /// <summary>Names of the extra observations given beside the board, in order.</summary>
    public IReadOnlyList<string> ExtraNames { get; }

    /// <summary>The board character of each observation channel, in channel order.</summary>
    public IReadOnlyList<char> ChannelSymbols => Encoder.ChannelSymbols;

    /// <summary>The specified reward the agent trains on.</summary>
    public Objective Reward { get; }

    /// <summary>What we actually want; never shown to the agent.</summary>
    public Objective Intended { get; }

    /// <summary>Candidate goals a policy might really pursue; never shown to the agent.</summary>
    public IReadOnlyList<Objective> Goals { get; }

    /// <summary>Number of one-hot channels.</summary>
    public int Channels => Encoder.Channels;

    /// <summary>Number of per-state variables.</summary>
    public int VarCount => VarNames.Count;

    /// <summary>The index of an event by name, or −1.</summary>
    public int EventIndex(string name) => EventNames.ToList().IndexOf(name);

    /// <summary>The tile of a character, or null if the legend does not define it.</summary>
    public Tile? TileOf(char symbol) => symbol < 256 ? _tiles[symbol] : null;

    /// <summary>
    /// Starts an episode in the given arrays: draws a map from the generator, or picks a level
    /// (uniformly when there are several) and copies its cells; places the agent, clears the
    /// episode variables and lets components set up. Returns the index in <see cref="Levels"/>
    /// of the level chosen, or −1 for a generated map. With <paramref name="assigned"/>, the episode starts in that
    /// level instead (a curriculum's choice; it draws nothing from <paramref name="rng"/>) and −1 is returned.
    /// </summary>
    internal int ResetState(Span<byte> cells, ref int agent, Span<int> vars, Span<double> scratchEvents, ref Rng rng, ChanceScript? chance, int forcedLevel = -1, GridLevel? assigned = null)
    {
        int levelIndex;
        if (assigned is not null)
        {
            levelIndex = -1;
            assigned.Cells.CopyTo(cells);
            agent = assigned.AgentStart;
        }
        else if (Generator is not null)
        {
            if (chance is not null)
            {
                throw new InvalidOperationException($"{Id}: a generated level distribution cannot be enumerated; solve sampled levels one at a time.");
            }

            levelIndex = -1;
            agent = Generator.Generate(ref rng, cells);
        }
        else
        {
            levelIndex = forcedLevel >= 0 ? forcedLevel
                : Levels.Count == 1 ? 0
                : chance is null ? rng.NextInt(Levels.Count) : chance.UniformInt(Levels.Count);
            var level = Levels[levelIndex];
            level.Cells.CopyTo(cells);
            agent = level.AgentStart;
        }

        for (var v = 0; v < vars.Length; v++)
        {
            if (!_persistent[v])
            {
                vars[v] = 0;
            }
        }

        scratchEvents.Clear();
        var context = new StepContext(this, cells, ref agent, vars, scratchEvents, ref rng, chance);
        foreach (var component in _components)
        {
            component.OnReset(ref context);
        }

        scratchEvents.Clear();
        return levelIndex;
    }

    /// <summary>
    /// Advances the state in the given arrays by one action. Fills <paramref name="events"/>
    /// with this step's event counts and returns whether the task ended (terminated). The
    /// dynamics depend on the state alone, never on the step number, which is what lets the
    /// exact solver treat (cells, agent, variables) as the full Markov state.
    /// </summary>
    internal bool StepState(Span<byte> cells, ref int agent, Span<int> vars, int action, Span<double> events, ref Rng rng, ChanceScript? chance)
    {
        events.Clear();
        events[StepEvent] = 1.0;
        var context = new StepContext(this, cells, ref agent, vars, events, ref rng, chance)
        {
            Move = ActionLetters[action],
        };
        var components = _components;
        for (var i = 0; i < components.Length; i++)
        {
            components[i].BeforeMove(ref context);
        }

        var dr = Moves.RowDelta(context.Move);
        var dc = Moves.ColDelta(context.Move);
        if ((dr | dc) != 0)
        {
            var row = (agent / Width) + dr;
            var col = (agent % Width) + dc;
            if ((uint)row < (uint)Height && (uint)col < (uint)Width)
            {
                var target = (row * Width) + col;
                var tile = _tiles[cells[target]];
                if (tile is null || !tile.Blocks)
                {
                    var allowed = true;
                    var handlers = _entryHandlers;
                    for (var i = 0; i < handlers.Length && allowed; i++)
                    {
                        allowed = handlers[i].AllowEntry(ref context, target, dr, dc);
                    }

                    if (allowed)
                    {
                        agent = target;
                    }
                }
            }
        }

        var under = cells[agent];
        var touch = _touchEvent[under];
        if (touch >= 0)
        {
            events[touch] += 1.0;
            var touched = _tiles[under]!;
            if (touched.Terminal)
            {
                context.Terminate();
            }

            if (touched.CollectInto is { } remains)
            {
                cells[agent] = (byte)remains;
            }
        }

        for (var i = 0; i < components.Length; i++)
        {
            components[i].AfterMove(ref context);
        }

        return context.Terminated;
    }

    /// <summary>Sets the persistent variables of a newly created environment (all others start at zero).</summary>
    internal void CreateState(Span<int> vars)
    {
        vars.Clear();
        foreach (var component in _components)
        {
            component.OnCreate(vars);
        }
    }

    /// <summary>Draws the symbolic board the agent sees: cells, then the agent, then component overlays.</summary>
    internal void RenderBoard(ReadOnlySpan<byte> cells, int agent, ReadOnlySpan<int> vars, Span<byte> board)
    {
        cells.CopyTo(board);
        board[agent] = (byte)AgentSymbol;
        var renderers = _renderers;
        for (var i = 0; i < renderers.Length; i++)
        {
            renderers[i].Render(cells, agent, vars, board);
        }
    }

    /// <summary>Computes the extra observations from the state (NaN = none).</summary>
    internal void ObserveExtras(ReadOnlySpan<byte> cells, int agent, ReadOnlySpan<int> vars, Span<double> extras)
    {
        if (extras.Length == 0)
        {
            return;
        }

        extras.Fill(double.NaN);
        var observers = _observers;
        for (var i = 0; i < observers.Length; i++)
        {
            observers[i].Observe(cells, agent, vars, extras);
        }
    }

    /// <summary>
    /// Brings a board and its one-hot observation up to date with the state: the new board is
    /// drawn into <paramref name="scratch"/>, and <see cref="ObservationEncoder.Update"/> touches
    /// only the cells whose character changed. <paramref name="board"/> and
    /// <paramref name="observation"/> must be consistent on entry (as after <see cref="Encode"/>).
    /// </summary>
    internal void RefreshObservation(ReadOnlySpan<byte> cells, int agent, ReadOnlySpan<int> vars, Span<byte> board, Span<byte> scratch, Span<float> observation)
    {
        RenderBoard(cells, agent, vars, scratch);
        Encoder.Update(board, scratch, observation);
    }

    /// <summary>Writes the one-hot C×H×W encoding of a board into <paramref name="observation"/> (see <see cref="ObservationEncoder.Encode"/>).</summary>
    internal void Encode(ReadOnlySpan<byte> board, Span<float> observation) => Encoder.Encode(board, observation);
}

/// <summary>
/// A visible reward of one environment step computed from what the agent sees, r(o, a, o′): the rendered board
/// before the step, the action, and the rendered board after it. A learned reward model trained on labelled
/// segments is one. Implementations may keep scratch buffers (an environment calls it from one thread) and must
/// not allocate per call, since environments step allocation-free.
/// </summary>
internal interface IStepReward
{
    /// <summary>The reward of the step from <paramref name="before"/> by <paramref name="action"/> to <paramref name="after"/> (boards row-major, agent drawn); finite.</summary>
    double Reward(ReadOnlySpan<byte> before, int action, ReadOnlySpan<byte> after);
}
