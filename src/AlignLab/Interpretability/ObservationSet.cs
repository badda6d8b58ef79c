using AlignLab.Errors;
using AlignLab.Grid;
using AlignLab.Grid.Components;
using AlignLab.Randomness;
using AlignLab.Scenarios;

namespace AlignLab.Interpretability;

/// <summary>How a set of observations for activations and probes is drawn.</summary>
public sealed record ObservationSetOptions
{
    /// <summary>The distribution the levels are drawn from (its generator, or its fixed levels uniformly).</summary>
    public string Distribution { get; init; } = "deploy";

    /// <summary>How many observations (one per drawn level) to draw.</summary>
    public int Levels { get; init; } = 2000;

    /// <summary>Seed of the level draws (and of the agent's cell when <see cref="RandomAgentCell"/>).</summary>
    public ulong Seed { get; init; }

    /// <summary>Scenario parameters (e.g. size=7).</summary>
    public IReadOnlyDictionary<string, string>? Set { get; init; }

    /// <summary>
    /// When true the agent stands on a cell drawn uniformly among the level's open cells that hold no object
    /// (states met mid-episode); when false it stands where the level starts it.
    /// </summary>
    public bool RandomAgentCell { get; init; }
}

/// <summary>
/// One-hot observations of levels drawn from a scenario distribution, with the true state behind each: the map's
/// cells and the agent's cell, from which probe targets (<see cref="ProbeTargets"/>) are computed.
/// </summary>
public sealed class ObservationSet
{
    private readonly byte[] _cells;
    private readonly int[] _agents;
    private readonly float[] _observations;

    private ObservationSet(GridWorld world, string distribution, int count, byte[] cells, int[] agents, float[] observations)
    {
        World = world;
        Distribution = distribution;
        Count = count;
        _cells = cells;
        _agents = agents;
        _observations = observations;
    }

    /// <summary>The world the observations belong to (its size, legend, goals).</summary>
    public GridWorld World { get; }

    /// <summary>The distribution drawn from.</summary>
    public string Distribution { get; }

    /// <summary>The number of observations.</summary>
    public int Count { get; }

    /// <summary>Values per observation: channels × height × width.</summary>
    public int ObservationSize => World.Channels * World.CellCount;

    /// <summary>All observations, sample-major (<see cref="Count"/> × <see cref="ObservationSize"/>).</summary>
    public ReadOnlySpan<float> Observations => _observations;

    /// <summary>The agent's cell (row · width + col) in each observation.</summary>
    public IReadOnlyList<int> AgentCells => _agents;

    /// <summary>The map cells of observation <paramref name="index"/> (without the agent drawn on them).</summary>
    public ReadOnlySpan<byte> CellsOf(int index) => _cells.AsSpan(index * World.CellCount, World.CellCount);

    /// <summary>Draws <see cref="ObservationSetOptions.Levels"/> observations of <paramref name="scenario"/>.</summary>
    /// <exception cref="UserInputException">The distribution is unknown or the count is not positive.</exception>
    public static ObservationSet Draw(ScenarioDefinition scenario, ObservationSetOptions options)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Levels < 1)
        {
            throw new UserInputException($"the number of levels must be at least 1, not {options.Levels}.");
        }

        if (!scenario.DistributionNames.Contains(options.Distribution))
        {
            throw new UserInputException($"{scenario.Id} has no distribution '{options.Distribution}'{Suggest.DidYouMean(options.Distribution, scenario.DistributionNames)}; it has {string.Join(", ", scenario.DistributionNames)}.");
        }

        var world = scenario.Build(new BuildOptions(Distribution: options.Distribution, Set: options.Set));
        var n = options.Levels;
        var cellCount = world.CellCount;
        var size = world.Channels * cellCount;
        var cells = new byte[n * cellCount];
        var agents = new int[n];
        var observations = new float[n * size];
        var vars = new int[world.VarCount];
        var events = new double[world.EventNames.Count];
        var board = new byte[cellCount];
        var open = new List<int>(cellCount);
        var rng = new Rng(options.Seed);
        for (var i = 0; i < n; i++)
        {
            var state = cells.AsSpan(i * cellCount, cellCount);
            var agent = 0;
            world.CreateState(vars);
            world.ResetState(state, ref agent, vars, events, ref rng, null);
            if (options.RandomAgentCell)
            {
                open.Clear();
                for (var c = 0; c < cellCount; c++)
                {
                    var tile = world.TileOf((char)state[c]);
                    if (tile is null || (!tile.Blocks && tile.TouchEvent is null))
                    {
                        open.Add(c);
                    }
                }

                if (open.Count > 0)
                {
                    agent = open[rng.NextInt(open.Count)];
                }
            }

            agents[i] = agent;
            world.RenderBoard(state, agent, vars, board);
            world.Encode(board, observations.AsSpan(i * size, size));
        }

        return new ObservationSet(world, options.Distribution, n, cells, agents, observations);
    }

    /// <summary>
    /// The cell of goal <paramref name="goal"/>'s target in observation <paramref name="index"/>: the first cell (row-major)
    /// holding a tile whose touch emits one of the goal's events, else the cell a reach-cell component of one of its
    /// events watches; −1 when there is none.
    /// </summary>
    internal int GoalCell(Objectives.Objective goal, int index)
    {
        var events = goal.Terms.Where(t => t.Weight > 0).Select(t => t.Event).ToHashSet(StringComparer.Ordinal);
        var state = CellsOf(index);
        for (var c = 0; c < state.Length; c++)
        {
            if (World.TileOf((char)state[c]) is { TouchEvent: { } touch } && events.Contains(touch))
            {
                return c;
            }
        }

        foreach (var component in World.Components)
        {
            if (component is ReachCell reach && events.Contains(reach.EventName))
            {
                var cell = reach.CellIndex(World.Height, World.Width);
                if (cell >= 0)
                {
                    return cell;
                }
            }
        }

        return -1;
    }

    /// <summary>Fills <paramref name="distance"/> with the number of moves from each cell to <paramref name="target"/> in observation <paramref name="index"/> (−1 unreachable), through cells that do not block.</summary>
    internal void DistancesTo(int index, int target, Span<int> distance, Span<int> queue)
    {
        distance.Fill(-1);
        if (target < 0)
        {
            return;
        }

        var state = CellsOf(index);
        var width = World.Width;
        var height = World.Height;
        distance[target] = 0;
        queue[0] = target;
        int head = 0, tail = 1;
        while (head < tail)
        {
            var c = queue[head++];
            var row = c / width;
            var col = c % width;
            for (var m = 0; m < 4; m++)
            {
                var r = row + (m == 0 ? -1 : m == 1 ? 1 : 0);
                var k = col + (m == 2 ? -1 : m == 3 ? 1 : 0);
                if ((uint)r >= (uint)height || (uint)k >= (uint)width)
                {
                    continue;
                }

                var next = (r * width) + k;
                if (distance[next] >= 0 || World.TileOf((char)state[next]) is { Blocks: true })
                {
                    continue;
                }

                distance[next] = distance[c] + 1;
                queue[tail++] = next;
            }
        }
    }
}
