using AlignLab.Agents;
using AlignLab.Grid;
using AlignLab.Mesa;
using AlignLab.Nn;
using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.Tests.Mesa;

/// <summary>
/// A value-iteration network with f_R set by hand to the goal's reward (1 on the goal's cells, −10 on walls and on
/// other cells that end the episode, 0 elsewhere) and the fixed transition kernel of the grid's moves,
/// Q_a(s) = R(s + a) + 0.9·V(s + a), must plan exactly: its greedy action at every reachable cell of a
/// maze is a shortest-path action to the goal, and its exact goal value equals the solver's optimum.
/// </summary>
public sealed class HandSetVinTests
{
    private static readonly ScenarioDefinition Scenario = ScenarioRegistry.BuiltIn.Get("CheeseInTheCorner-v0");

    [Theory]
    [InlineData(5, "cheese")]
    [InlineData(7, "cheese")]
    [InlineData(7, "corner")]
    [InlineData(9, "cheese")]
    public void HandSetVinActsLikeTheSolversOptimalPolicy(int size, string goalName)
    {
        var set = new Dictionary<string, string> { ["size"] = size.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        var levels = Scenario.SampleLevels("deploy", 6, 17, set);
        var checkedCells = 0;
        foreach (var level in levels)
        {
            var world = Scenario.Build(new BuildOptions(Distribution: "deploy", Set: set) { FixedLevel = level });
            var goal = world.Goals.Single(g => g.Name == goalName);
            var cells = new LevelCells(world);
            var targets = cells.GoalCells[goalName];
            Assert.NotEmpty(targets);

            var planner = HandSetPlanner(world, iterations: 2 * size * size);
            RewardEdit handSet = (board, rewards) => GoalReward(world, board, targets, rewards);
            var policy = planner.Policy(handSet);
            var distance = Distances(world, level, targets);
            var board = new byte[world.CellCount];
            var probabilities = new double[4];
            foreach (var cell in cells.Reachable)
            {
                if (targets.Contains(cell) || distance[cell] == int.MaxValue)
                {
                    continue;
                }

                level.CellsView.ToArray().CopyTo(board, 0);
                board[cell] = (byte)world.AgentSymbol;
                policy(board, [], probabilities);
                var greedy = Array.IndexOf(probabilities, probabilities.Max());
                var next = Move(world, level, cell, world.ActionLetters[greedy]);
                Assert.True(distance[next] == distance[cell] - 1, $"level {Show(level)}: at cell {cell} the VIN moves {world.ActionLetters[greedy]} to {next} (distance {distance[cell]} → {distance[next]}).");
                checkedCells++;
            }

            // Acting greedily, it reaches the goal as the solver's optimal policy does (exact values).
            BoardPolicy greedyPolicy = (b, extras, p) =>
            {
                policy(b, extras, p);
                var best = 0;
                for (var a = 1; a < p.Length; a++)
                {
                    best = p[a] > p[best] ? a : best;
                }

                p.Clear();
                p[best] = 1;
            };
            var solution = ExactSolution.Create(world);
            Assert.Equal(solution.Optimal(goal), solution.Evaluate(greedyPolicy).Goals[goalName], 1e-9);
        }

        Assert.True(checkedCells > 10);
    }

    /// <summary>A VIN for <paramref name="world"/> with K = <paramref name="iterations"/> and its fixed kernel of the grid's moves (U, D, L, R), γ = 0.9.</summary>
    internal static MesaPlanner HandSetPlanner(GridWorld world, int iterations)
    {
        var actor = AgentNetworks.Build(world, NetworkKind.Vin, [], [1], Activation.Relu, world.ActionLetters.Length, new Random(1), vinIterations: iterations);
        var vin = (ValueIterationNetwork)actor.Layers[0];
        Assert.True(vin.FixedTransitions);
        Assert.DoesNotContain(vin.TransitionValue, vin.Parameters);
        for (var a = 0; a < world.ActionLetters.Length; a++)
        {
            var (dr, dc) = Delta(world.ActionLetters[a]);
            for (var tap = 0; tap < 9; tap++)
            {
                var move = tap == ((1 + dr) * 3) + 1 + dc;
                Assert.Equal(move ? 1f : 0f, vin.TransitionReward.Value[(a * 9) + tap]);
                Assert.Equal(move ? 0.9f : 0f, vin.TransitionValue.Value[(a * 9) + tap]);
            }
        }

        return new MesaPlanner(world, actor);
    }

    /// <summary>1 on the goal's cells, −10 on blocked cells and on cells that end the episode otherwise, 0 elsewhere.</summary>
    internal static void GoalReward(GridWorld world, ReadOnlySpan<byte> board, IReadOnlySet<int> targets, Span<float> rewards)
    {
        for (var c = 0; c < rewards.Length; c++)
        {
            var tile = world.TileOf((char)board[c]);
            rewards[c] = targets.Contains(c) ? 1f : tile is { Blocks: true } or { Terminal: true } ? -10f : 0f;
        }
    }

    private static (int Dr, int Dc) Delta(char action) => action switch
    {
        'U' => (-1, 0),
        'D' => (1, 0),
        'L' => (0, -1),
        'R' => (0, 1),
        _ => (0, 0),
    };

    /// <summary>Where a move from <paramref name="cell"/> ends on the level's map: a blocked cell stops it.</summary>
    private static int Move(GridWorld world, GridLevel level, int cell, char action)
    {
        var (dr, dc) = Delta(action);
        int r = (cell / world.Width) + dr, c = (cell % world.Width) + dc;
        var next = (r * world.Width) + c;
        return r < 0 || c < 0 || r >= world.Height || c >= world.Width || world.TileOf((char)level.CellsView[next]) is { Blocks: true } ? cell : next;
    }

    /// <summary>Breadth-first distances to the goal's cells over cells that neither block nor end the episode (the goal's own excepted).</summary>
    private static int[] Distances(GridWorld world, GridLevel level, IReadOnlySet<int> targets)
    {
        var distance = Enumerable.Repeat(int.MaxValue, world.CellCount).ToArray();
        var queue = new Queue<int>();
        foreach (var t in targets)
        {
            distance[t] = 0;
            queue.Enqueue(t);
        }

        while (queue.Count > 0)
        {
            var cell = queue.Dequeue();
            foreach (var action in world.ActionLetters)
            {
                var (dr, dc) = Delta(action);
                int r = (cell / world.Width) - dr, c = (cell % world.Width) - dc;
                if (r < 0 || c < 0 || r >= world.Height || c >= world.Width)
                {
                    continue;
                }

                var from = (r * world.Width) + c;
                var tile = world.TileOf((char)level.CellsView[from]);
                if (distance[from] == int.MaxValue && tile is not { Blocks: true } and not { Terminal: true })
                {
                    distance[from] = distance[cell] + 1;
                    queue.Enqueue(from);
                }
            }
        }

        return distance;
    }

    private static string Show(GridLevel level) => "\n" + string.Join('\n', Enumerable.Range(0, level.Height).Select(r => new string([.. level.CellsView.Skip(r * level.Width).Take(level.Width).Select(b => (char)b)])));
}
