using AlignLab.Errors;
using AlignLab.Grid;
using AlignLab.Grid.Components;
using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.Interpretability.Steering;

/// <summary>
/// One level of a maze scenario whose only changing state is the agent's cell (CheeseInTheCorner): its map, the
/// agent's start, the goal object's cell (a terminal tile, the cheese) and the landmark cell another goal rewards
/// reaching (the top-right corner). Because a move's outcome depends only on the cell and the action, the
/// probability of reaching a cell under a stochastic policy is computed exactly as an absorbing Markov chain over
/// the open cells (<see cref="ReachProbabilities"/>).
/// </summary>
public sealed class MazeLevel
{
    private readonly byte[] _cells;
    private readonly int[] _neighbour;
    private readonly int[] _openCells;

    private MazeLevel(GridWorld world, byte[] cells, int start, int goalCell, int landmarkCell)
    {
        World = world;
        _cells = cells;
        Start = start;
        GoalCell = goalCell;
        LandmarkCell = landmarkCell;
        var actions = world.ActionLetters.Length;
        _neighbour = new int[cells.Length * actions];
        var open = new List<int>();
        for (var c = 0; c < cells.Length; c++)
        {
            if (Blocks(c))
            {
                continue;
            }

            open.Add(c);
            for (var a = 0; a < actions; a++)
            {
                var row = (c / Width) + Moves.RowDelta(world.ActionLetters[a]);
                var col = (c % Width) + Moves.ColDelta(world.ActionLetters[a]);
                var target = (row * Width) + col;
                _neighbour[(c * actions) + a] = (uint)row < (uint)Height && (uint)col < (uint)Width && !Blocks(target) ? target : c;
            }
        }

        _openCells = [.. open];
    }

    /// <summary>The world built for this one level (its legend, actions, episode length).</summary>
    public GridWorld World { get; }

    /// <summary>Rows.</summary>
    public int Height => World.Height;

    /// <summary>Columns.</summary>
    public int Width => World.Width;

    /// <summary>The agent's start cell (row · width + col).</summary>
    public int Start { get; }

    /// <summary>The goal object's cell (the cheese).</summary>
    public int GoalCell { get; }

    /// <summary>The landmark cell the other goal rewards reaching (the top-right corner).</summary>
    public int LandmarkCell { get; }

    /// <summary>The cells the agent can stand on, in row-major order.</summary>
    public IReadOnlyList<int> OpenCells => _openCells;

    /// <summary>The map (without the agent) as row-major tile symbols.</summary>
    public ReadOnlySpan<byte> Cells => _cells;

    /// <summary>Whether a cell blocks movement (a wall).</summary>
    public bool Blocks(int cell) => World.TileOf((char)_cells[cell]) is { Blocks: true };

    /// <summary>
    /// Builds the level of <paramref name="scenario"/> from a map: <paramref name="goal"/> names the goal whose positive
    /// event a terminal tile emits on touch (the goal object) and <paramref name="landmark"/> the goal a reach-cell
    /// component rewards.
    /// </summary>
    /// <exception cref="UserInputException">The scenario has no such goals, or the map has no goal object.</exception>
    public static MazeLevel Create(ScenarioDefinition scenario, GridLevel level, string goal, string landmark, IReadOnlyDictionary<string, string>? set = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(level);
        var world = scenario.Build(new BuildOptions(Set: set) { FixedLevel = level });
        return Create(world, level, goal, landmark);
    }

    /// <summary>Builds the level from a world already built for it.</summary>
    internal static MazeLevel Create(GridWorld world, GridLevel level, string goal, string landmark)
    {
        var goalObjective = world.Goals.FirstOrDefault(g => g.Name == goal)
            ?? throw new UserInputException($"{world.Id} has no goal '{goal}'; its goals are {string.Join(", ", world.Goals.Select(g => g.Name))}.");
        var landmarkObjective = world.Goals.FirstOrDefault(g => g.Name == landmark)
            ?? throw new UserInputException($"{world.Id} has no goal '{landmark}'; its goals are {string.Join(", ", world.Goals.Select(g => g.Name))}.");
        if (world.Components.Any(c => c is not ReachCell))
        {
            throw new UserInputException($"{world.Id} has state beyond the agent's cell; steering needs a maze scenario such as CheeseInTheCorner-v0.");
        }

        var goalEvents = goalObjective.Terms.Where(t => t.Weight > 0).Select(t => t.Event).ToHashSet(StringComparer.Ordinal);
        var cells = level.Cells.ToArray();
        var goalCell = Array.FindIndex(cells, s => world.TileOf((char)s) is { TouchEvent: { } e, Terminal: true } && goalEvents.Contains(e));
        if (goalCell < 0)
        {
            throw new UserInputException($"{world.Id}: the level has no terminal tile for goal '{goal}'; steering needs a goal object.");
        }

        var landmarkEvents = landmarkObjective.Terms.Where(t => t.Weight > 0).Select(t => t.Event).ToHashSet(StringComparer.Ordinal);
        var reach = world.Components.OfType<ReachCell>().FirstOrDefault(r => landmarkEvents.Contains(r.EventName))
            ?? throw new UserInputException($"{world.Id}: goal '{landmark}' is not reaching a cell; steering needs a landmark cell such as the corner.");
        var landmarkCell = reach.CellIndex(world.Height, world.Width);
        if (landmarkCell < 0)
        {
            throw new UserInputException($"{world.Id}: goal '{landmark}' watches no single cell.");
        }

        return new MazeLevel(world, cells, level.AgentStart, goalCell, landmarkCell);
    }

    /// <summary>Draws the board the agent sees standing on <paramref name="agent"/> into <paramref name="board"/>.</summary>
    public void Board(int agent, Span<byte> board)
    {
        _cells.CopyTo(board);
        board[agent] = (byte)World.AgentSymbol;
    }

    /// <summary>
    /// The board with the goal object taken away (its tile replaced by the floor the agent starts on), the agent on
    /// <paramref name="agent"/>.
    /// </summary>
    public void BoardWithoutGoal(int agent, Span<byte> board)
    {
        Board(agent, board);
        if (GoalCell != agent)
        {
            board[GoalCell] = _cells[Start];
        }
    }

    /// <summary>The same level with the goal object moved to <paramref name="cell"/> (an open cell).</summary>
    public MazeLevel WithGoalAt(int cell)
    {
        if (cell < 0 || cell >= _cells.Length || Blocks(cell))
        {
            throw new ArgumentOutOfRangeException(nameof(cell), $"Cell {cell} is not open.");
        }

        var cells = (byte[])_cells.Clone();
        (cells[GoalCell], cells[cell]) = (cells[cell], cells[GoalCell]);
        return new MazeLevel(World, cells, Start, cell, LandmarkCell);
    }

    /// <summary>The cell reached from <paramref name="cell"/> by action <paramref name="action"/> (itself when blocked).</summary>
    public int Next(int cell, int action) => _neighbour[(cell * World.ActionLetters.Length) + action];

    /// <summary>Maze distances (moves) from <paramref name="from"/> to every cell; −1 where unreachable.</summary>
    public int[] Distances(int from)
    {
        var distance = new int[_cells.Length];
        Array.Fill(distance, -1);
        var queue = new int[_cells.Length];
        distance[from] = 0;
        queue[0] = from;
        int head = 0, tail = 1;
        var actions = World.ActionLetters.Length;
        while (head < tail)
        {
            var c = queue[head++];
            for (var a = 0; a < actions; a++)
            {
                var n = Next(c, a);
                if (distance[n] < 0)
                {
                    distance[n] = distance[c] + 1;
                    queue[tail++] = n;
                }
            }
        }

        return distance;
    }

    /// <summary>
    /// A shortest path from <paramref name="from"/> to <paramref name="to"/> (both ends included), ties broken by the
    /// action order; empty when unreachable.
    /// </summary>
    public IReadOnlyList<int> ShortestPath(int from, int to)
    {
        var distance = Distances(to);
        if (distance[from] < 0)
        {
            return [];
        }

        var path = new List<int> { from };
        var actions = World.ActionLetters.Length;
        var c = from;
        while (c != to)
        {
            for (var a = 0; a < actions; a++)
            {
                var n = Next(c, a);
                if (distance[n] == distance[c] - 1)
                {
                    c = n;
                    break;
                }
            }

            path.Add(c);
        }

        return path;
    }

    /// <summary>
    /// The policy's action probabilities on every open cell: row <c>cell</c> of a cells × actions table (rows of
    /// blocked cells stay zero).
    /// </summary>
    public double[] PolicyTable(BoardPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var actions = World.ActionLetters.Length;
        var table = new double[_cells.Length * actions];
        var board = new byte[_cells.Length];
        var extras = new double[World.ExtraNames.Count];
        extras.AsSpan().Fill(double.NaN);
        foreach (var c in _openCells)
        {
            Board(c, board);
            policy(board, extras, table.AsSpan(c * actions, actions));
        }

        return table;
    }

    /// <summary>
    /// Exact probabilities, for every start cell, that an episode of at most <paramref name="horizon"/> moves under the
    /// policy <paramref name="table"/> (see <see cref="PolicyTable"/>) enters a cell of <paramref name="success"/>
    /// before it enters a cell of <paramref name="failure"/> or touches a terminal tile outside
    /// <paramref name="success"/> (which ends the episode). A start cell in <paramref name="success"/> counts as reached.
    /// </summary>
    /// <param name="table">cells × actions action probabilities.</param>
    /// <param name="success">The cells to reach.</param>
    /// <param name="failure">Cells that stop the walk without success (besides terminal tiles).</param>
    /// <param name="horizon">The number of moves allowed (the episode length).</param>
    /// <returns>One probability per cell (0 on blocked cells).</returns>
    public double[] ReachProbabilities(ReadOnlySpan<double> table, ReadOnlySpan<int> success, ReadOnlySpan<int> failure, int horizon)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(horizon);
        var actions = World.ActionLetters.Length;
        if (table.Length != _cells.Length * actions)
        {
            throw new ArgumentException($"Expected {_cells.Length}×{actions} probabilities.", nameof(table));
        }

        // kind: 1 success (value 1), 2 absorbing failure (value 0), 0 transient.
        var kind = new byte[_cells.Length];
        foreach (var c in _openCells)
        {
            if (World.TileOf((char)_cells[c]) is { Terminal: true })
            {
                kind[c] = 2;
            }
        }

        foreach (var c in failure)
        {
            kind[c] = 2;
        }

        foreach (var c in success)
        {
            kind[c] = 1;
        }

        var value = new double[_cells.Length];
        var next = new double[_cells.Length];
        foreach (var c in _openCells)
        {
            value[c] = kind[c] == 1 ? 1 : 0;
        }

        for (var step = 0; step < horizon; step++)
        {
            foreach (var c in _openCells)
            {
                if (kind[c] != 0)
                {
                    next[c] = value[c];
                    continue;
                }

                var sum = 0.0;
                for (var a = 0; a < actions; a++)
                {
                    sum += table[(c * actions) + a] * value[_neighbour[(c * actions) + a]];
                }

                next[c] = sum;
            }

            (value, next) = (next, value);
        }

        return value;
    }

    /// <summary>
    /// Exact expected number of steps the agent spends on each cell during an episode of at most
    /// <paramref name="horizon"/> moves from the start under the policy <paramref name="table"/>, the start counted once
    /// and a terminal tile once when entered.
    /// </summary>
    public double[] ExpectedVisits(ReadOnlySpan<double> table, int horizon)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(horizon);
        var actions = World.ActionLetters.Length;
        if (table.Length != _cells.Length * actions)
        {
            throw new ArgumentException($"Expected {_cells.Length}×{actions} probabilities.", nameof(table));
        }

        var visits = new double[_cells.Length];
        var mass = new double[_cells.Length];
        var next = new double[_cells.Length];
        mass[Start] = 1;
        visits[Start] = 1;
        for (var step = 0; step < horizon; step++)
        {
            Array.Clear(next);
            foreach (var c in _openCells)
            {
                if (mass[c] == 0 || World.TileOf((char)_cells[c]) is { Terminal: true })
                {
                    continue;
                }

                for (var a = 0; a < actions; a++)
                {
                    next[_neighbour[(c * actions) + a]] += mass[c] * table[(c * actions) + a];
                }
            }

            for (var c = 0; c < visits.Length; c++)
            {
                visits[c] += next[c];
            }

            (mass, next) = (next, mass);
        }

        return visits;
    }

    /// <summary>The map as rows of text, the agent drawn at its start.</summary>
    public IReadOnlyList<string> Rows()
    {
        var board = new byte[_cells.Length];
        Board(Start, board);
        return [.. Enumerable.Range(0, Height).Select(r => new string([.. board.AsSpan(r * Width, Width).ToArray().Select(b => (char)b)]))];
    }
}
