using AlignLab.Grid;
using AlignLab.Solve;

namespace AlignLab.Mesa;

/// <summary>
/// Exact facts about the cells of one level, from the solver's enumeration of its reachable states: which cells
/// the agent can stand on, which cells score each candidate goal when entered, and the exact probability that a
/// policy enters a given cell within the episode.
/// </summary>
internal sealed class LevelCells
{
    private readonly EnumeratedModel _model;
    private readonly GridWorld _world;

    private LevelCells(GridWorld world, GridWorld? open, bool _)
    {
        _world = world;
        _model = EnumeratedModel.Build(world);
        var reachable = new SortedSet<int>();
        for (var s = 0; s < _model.StateCount; s++)
        {
            reachable.Add(_model.AgentCell(s));
        }

        Reachable = reachable;
        Start = _model.AgentCell(_model.Initial[0].State);
        var goals = world.Goals.ToDictionary(g => g.Name, _ => new SortedSet<int>(), StringComparer.Ordinal);
        Record(_model, world, goals);
        if (open is not null)
        {
            Record(EnumeratedModel.Build(open), open, goals);
        }

        GoalCells = goals.ToDictionary(g => g.Key, g => (IReadOnlySet<int>)g.Value, StringComparer.Ordinal);
    }

    /// <summary>
    /// Also enumerates <paramref name="open"/>, the same level with the tiles that end the episode turned to floor, so a
    /// goal's cells behind such a tile (the corner behind the cheese) are found; only its goal cells are used.
    /// </summary>
    public LevelCells(GridWorld world, GridWorld? open)
        : this(world, open, true)
    {
    }

    /// <summary>Enumerates the level's states (within the solver's default limits).</summary>
    public LevelCells(GridWorld world)
        : this(world, null, true)
    {
    }

    private static void Record(EnumeratedModel model, GridWorld world, Dictionary<string, SortedSet<int>> goals)
    {
        var pairs = new double[(long)model.StateCount * model.ActionCount];
        model.TabulateReward(new Recorder(world, goals), pairs, new SolverBudget(world.Id, SolverLimits.Default));
    }

    /// <summary>Cells the agent stands on in some reachable non-terminal state.</summary>
    public IReadOnlySet<int> Reachable { get; }

    /// <summary>The agent's cell at the start (the most likely start's).</summary>
    public int Start { get; }

    /// <summary>For each candidate goal, the cells whose entry scores it (positively) on some reachable transition.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<int>> GoalCells { get; }

    /// <summary>
    /// The exact probability that <paramref name="policy"/> enters <paramref name="target"/> within the episode,
    /// from the level's start: finite-horizon dynamic programming over the reachable states, with entering the
    /// target worth 1 and ending the count (terminal steps into it included).
    /// </summary>
    public double ReachProbability(BoardPolicy policy, int target)
    {
        int states = _model.StateCount, actions = _model.ActionCount;
        var table = new double[states * actions];
        var board = new byte[_world.CellCount];
        var extras = new double[_world.ExtraNames.Count];
        for (var s = 0; s < states; s++)
        {
            _model.RenderBoard(s, board);
            _model.ObserveExtras(s, extras);
            policy(board, extras, table.AsSpan(s * actions, actions));
        }

        var enter = new double[states * actions];
        _model.TabulateReward(new Entry(_world, target), enter, new SolverBudget(_world.Id, SolverLimits.Default));
        var v = new double[states];
        var next = new double[states];
        var q = new double[states * actions];
        for (var t = 0; t < _model.Horizon; t++)
        {
            _model.Backup(enter, v, q);
            for (var s = 0; s < states; s++)
            {
                double value = 0;
                if (_model.AgentCell(s) != target)
                {
                    for (var a = 0; a < actions; a++)
                    {
                        value += table[(s * actions) + a] * q[(s * actions) + a];
                    }
                }

                next[s] = value;
            }

            (v, next) = (next, v);
        }

        double total = 0;
        foreach (var (state, probability) in _model.Initial)
        {
            total += probability * (_model.AgentCell(state) == target ? 1 : v[state]);
        }

        return total;
    }

    /// <summary>The agent's cell on a board, or −1 when it is not drawn.</summary>
    private static int AgentOn(ReadOnlySpan<byte> board, byte agent)
    {
        var i = board.IndexOf(agent);
        return i;
    }

    /// <summary>Records the cell each goal's positive transitions enter; rewards nothing.</summary>
    private sealed class Recorder(GridWorld world, Dictionary<string, SortedSet<int>> goals) : ITransitionReward
    {
        public void Evaluate(TransitionBatch batch, Span<double> rewards)
        {
            rewards.Clear();
            for (var i = 0; i < batch.Count; i++)
            {
                var cell = AgentOn(batch.After(i), (byte)world.AgentSymbol);
                if (cell < 0)
                {
                    continue;
                }

                foreach (var goal in world.Goals)
                {
                    if (goal.Evaluate(batch.Events(i)) > 0)
                    {
                        goals[goal.Name].Add(cell);
                    }
                }
            }
        }
    }

    /// <summary>1 for a transition whose board after shows the agent on the target.</summary>
    private sealed class Entry(GridWorld world, int target) : ITransitionReward
    {
        public void Evaluate(TransitionBatch batch, Span<double> rewards)
        {
            for (var i = 0; i < batch.Count; i++)
            {
                rewards[i] = AgentOn(batch.After(i), (byte)world.AgentSymbol) == target ? 1 : 0;
            }
        }
    }
}
