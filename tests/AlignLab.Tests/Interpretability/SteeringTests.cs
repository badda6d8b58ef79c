using AlignLab.Agents;
using AlignLab.Errors;
using AlignLab.Grid;
using AlignLab.Interpretability;
using AlignLab.Interpretability.Steering;
using AlignLab.Nn;
using AlignLab.Scenarios;
using AlignLab.Solve;
using CsCheck;

namespace AlignLab.Tests.Interpretability;

/// <summary>Steering: the intervention, the goal vector, decision squares, exact reach probabilities, attribution and the experiment.</summary>
public sealed class SteeringTests
{
    private static readonly Dictionary<string, string> Seven = new() { ["size"] = "7", ["corner_size"] = "1" };

    private static ScenarioDefinition Cheese => ScenarioRegistry.BuiltIn.Get("CheeseInTheCorner-v0");

    /// <summary>A hand-made 7×7 level from its rows ('A' marks the start, on floor).</summary>
    private static MazeLevel Hand(params string[] rows)
    {
        var cells = rows.SelectMany(r => r).Select(ch => (byte)(ch == 'A' ? ' ' : ch)).ToArray();
        var start = string.Concat(rows).IndexOf('A', StringComparison.Ordinal);
        return MazeLevel.Create(Cheese, new GridLevel(rows.Length, rows[0].Length, cells, start), "cheese", "corner", Seven);
    }

    // The cheese branches off the way to the corner at (3,1).
    private static MazeLevel Branching() => Hand(
        "#######",
        "#     #",
        "# #####",
        "#  C###",
        "# #####",
        "#A#####",
        "#######");

    private static int Cell(int row, int col) => (row * 7) + col;

    private static PpoAgent CnnAgent(GridWorld world, int seed) =>
        new(world, new PpoOptions { Network = NetworkKind.Cnn, ConvChannels = [8, 8], Hidden = [16], NumEnvs = 2, NumSteps = 16, NumMinibatches = 2, Seed = (ulong)seed });

    [Fact]
    public void A_zero_vector_leaves_the_action_probabilities_bit_for_bit_unchanged_at_every_layer()
    {
        var level = MazeLevel.Create(Cheese, Cheese.SampleLevels("deploy", 1, 4, Seven)[0], "cheese", "corner", Seven);
        var agent = CnnAgent(level.World, 3);
        var trained = TrainedNetwork.FromAgent(Cheese, Seven, agent);
        var board = new byte[level.Cells.Length];
        var expected = new double[4];
        var actual = new double[4];
        var rng = new Random(5);
        for (var layer = 0; layer < trained.Network.Layers.Count; layer++)
        {
            var size = trained.Network.SizeAfter(layer + 1);
            var noise = Enumerable.Range(0, size).Select(_ => (float)rng.NextDouble()).ToArray();
            foreach (var intervention in new[] { Intervention.Add(layer, new float[size], 1.0), Intervention.Add(layer, noise, 0.0) })
            {
                var steered = new SteeredPolicy(trained, level.World, intervention);
                foreach (var cell in level.OpenCells)
                {
                    level.Board(cell, board);
                    agent.Policy(board, [], expected);
                    steered.Policy(board, [], actual);
                    Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), actual.Select(BitConverter.DoubleToInt64Bits));
                }
            }
        }
    }

    [Fact]
    public void An_intervention_changes_the_policy_and_overwriting_the_logits_sets_it()
    {
        var level = Branching();
        var agent = CnnAgent(level.World, 1);
        var trained = TrainedNetwork.FromAgent(Cheese, Seven, agent);
        var last = trained.Network.Layers.Count - 1;
        var steered = new SteeredPolicy(trained, level.World, Intervention.Overwrite(last, [0, 1, 2, 3], [0f, 0f, MathF.Log(3f), 0f]));
        var board = new byte[level.Cells.Length];
        level.Board(level.Start, board);
        var p = new double[4];
        steered.Policy(board, [], p);
        Assert.Equal([1 / 6.0, 1 / 6.0, 3 / 6.0, 1 / 6.0], p, (a, b) => Math.Abs(a - b) < 1e-6);

        var conv = Activations.Resolve(trained.Network, "cact1");
        var shove = Enumerable.Repeat(1f, trained.Network.SizeAfter(conv + 1)).ToArray();
        var pushed = new SteeredPolicy(trained, level.World, Intervention.Add(conv, shove, 3.0));
        var q = new double[4];
        var original = new double[4];
        pushed.Policy(board, [], q);
        agent.Policy(board, [], original);
        Assert.NotEqual(original, q);
    }

    [Fact]
    public void The_decision_square_is_where_the_paths_to_cheese_and_corner_part()
    {
        Assert.Equal(Cell(3, 1), DecisionSquare.Find(Branching()));

        // The cheese lies on the way to the corner: no decision.
        Assert.Equal(-1, DecisionSquare.Find(Hand(
            "#######",
            "#  C  #",
            "# #####",
            "# #####",
            "# #####",
            "#A#####",
            "#######")));

        // The corner lies on the way to the cheese: no decision.
        Assert.Equal(-1, DecisionSquare.Find(Hand(
            "#######",
            "#     #",
            "# ###C#",
            "# #####",
            "# #####",
            "#A#####",
            "#######")));

        // The paths part at the start itself.
        Assert.Equal(Cell(5, 1), DecisionSquare.Find(Hand(
            "#######",
            "#     #",
            "# #####",
            "# #####",
            "# #####",
            "#A  C##",
            "#######")));
    }

    /// <summary>Towards the corner everywhere, except at the decision square (3,1): right (to the cheese) with probability 0.7.</summary>
    private static BoardPolicy Scripted(MazeLevel level) => (board, _, p) =>
    {
        var agent = board.IndexOf((byte)level.World.AgentSymbol);
        p.Clear();
        var (row, col) = (agent / 7, agent % 7);
        if (agent == Cell(3, 1))
        {
            p[3] = 0.7;
            p[0] = 0.3;
        }
        else if (row == 3)
        {
            p[3] = 1;
        }
        else if (row == 1 || col != 1)
        {
            p[3] = 1;
        }
        else
        {
            p[0] = 1;
        }
    };

    [Fact]
    public void Exact_reach_probabilities_of_a_scripted_policy_equal_the_hand_values_and_the_solver()
    {
        var level = Branching();
        var table = level.PolicyTable(Scripted(level));
        var horizon = level.World.MaxSteps;
        var decision = DecisionSquare.Find(level);
        Assert.Equal(0.7, level.ReachProbabilities(table, [level.GoalCell], [level.LandmarkCell], horizon)[decision], 1e-12);
        Assert.Equal(0.7, level.ReachProbabilities(table, [level.GoalCell], [], horizon)[level.Start], 1e-12);
        Assert.Equal(0.3, level.ReachProbabilities(table, [level.LandmarkCell], [], horizon)[level.Start], 1e-12);

        // Too short an episode reaches neither: the start is 4 moves from the cheese and 8 from the corner.
        Assert.Equal(0.0, level.ReachProbabilities(table, [level.GoalCell], [], 3)[level.Start]);
        Assert.Equal(0.7, level.ReachProbabilities(table, [level.GoalCell], [], 4)[level.Start], 1e-12);

        var solved = ExactSolution.Create(level.World).Evaluate(Scripted(level));
        Assert.Equal(0.7, solved.Goals["cheese"], 1e-12);
        Assert.Equal(0.3, solved.Goals["corner"], 1e-12);
    }

    [Fact]
    public void Expected_visits_of_a_scripted_policy_equal_the_hand_values()
    {
        var level = Branching();
        var horizon = level.World.MaxSteps;
        var visits = level.ExpectedVisits(level.PolicyTable(Scripted(level)), horizon);

        // Start, (4,1) and the decision square once; the cheese branch 0.7 each and ends on the cheese; the corner
        // branch 0.3 each on its way, then stays on the corner (moving right into the wall) for the rest of the episode.
        Assert.Equal(1.0, visits[level.Start], 1e-12);
        Assert.Equal(1.0, visits[Cell(3, 1)], 1e-12);
        Assert.Equal(0.7, visits[Cell(3, 2)], 1e-12);
        Assert.Equal(0.7, visits[level.GoalCell], 1e-12);
        Assert.Equal(0.3, visits[Cell(1, 3)], 1e-12);
        Assert.Equal(0.3 * (horizon - 8 + 1), visits[level.LandmarkCell], 1e-9);
        Assert.Equal((0.7 * 5) + (0.3 * (horizon + 1)), visits.Sum(), 1e-9);
    }

    [Fact]
    public void Reach_probabilities_of_a_random_walk_equal_the_solvers_goal_values_on_drawn_levels()
    {
        foreach (var grid in Cheese.SampleLevels("deploy", 4, 11, Seven))
        {
            var level = MazeLevel.Create(Cheese, grid, "cheese", "corner", Seven);
            BoardPolicy uniform = (_, _, p) => p.Fill(0.25);
            var table = level.PolicyTable(uniform);
            var solved = ExactSolution.Create(level.World).Evaluate(uniform);
            Assert.Equal(solved.Goals["cheese"], level.ReachProbabilities(table, [level.GoalCell], [], level.World.MaxSteps)[level.Start], 1e-9);
            Assert.Equal(solved.Goals["corner"], level.ReachProbabilities(table, [level.LandmarkCell], [], level.World.MaxSteps)[level.Start], 1e-9);
        }
    }

    [Fact]
    public void Reach_probabilities_are_probabilities_and_grow_with_the_horizon()
    {
        var levels = Cheese.SampleLevels("deploy", 8, 2, Seven).Select(l => MazeLevel.Create(Cheese, l, "cheese", "corner", Seven)).ToArray();
        Gen.Select(Gen.Int[0, levels.Length - 1], Gen.Double[0.01, 1].Array[4], Gen.Int[0, 40]).Sample((index, weights, horizon) =>
        {
            var level = levels[index];
            var sum = weights.Sum();
            BoardPolicy policy = (_, _, p) =>
            {
                for (var a = 0; a < 4; a++)
                {
                    p[a] = weights[a] / sum;
                }
            };
            var table = level.PolicyTable(policy);
            var shorter = level.ReachProbabilities(table, [level.GoalCell], [level.LandmarkCell], horizon);
            var longer = level.ReachProbabilities(table, [level.GoalCell], [level.LandmarkCell], horizon + 1);
            foreach (var c in level.OpenCells)
            {
                Assert.InRange(shorter[c], 0, 1 + 1e-12);
                Assert.True(longer[c] >= shorter[c] - 1e-12, $"cell {c}: {longer[c]} < {shorter[c]}");
            }
        });
    }

    [Fact]
    public void The_goal_vector_of_a_linear_layer_is_the_hand_computed_mean_difference()
    {
        var linear = new Linear(3, 2, new Random(1));
        var network = new Sequential([3], ("fc1", linear));
        network.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["fc1.weight"] = new Tensor([1f, 2f, 0f, 0f, -1f, 3f], [2, 3]),
            ["fc1.bias"] = new Tensor([5f, -7f], [2]),
        });
        float[] with = [1, 0, 0, 0, 1, 1];
        float[] without = [0, 0, 0, 0, 0, 1];

        // Differences: (1,0,0) → W·d = (1, 0); (0,1,0) → (2, −1). Mean (1.5, −0.5); the bias cancels.
        Assert.Equal([1.5f, -0.5f], GoalVector.MeanDifference(network, 0, with, without, 2));
    }

    [Fact]
    public void The_goal_vector_pairs_each_level_with_itself_without_the_cheese()
    {
        var levels = Cheese.SampleLevels("deploy", 3, 8, Seven).Select(l => MazeLevel.Create(Cheese, l, "cheese", "corner", Seven)).ToArray();
        var network = CnnAgent(levels[0].World, 2).Actor;
        var input = GoalVector.Compute(network, 0, levels);
        var channels = levels[0].World.Channels;
        var cheeseChannel = levels[0].World.ChannelSymbols.ToList().IndexOf('C');
        var floorChannel = levels[0].World.ChannelSymbols.ToList().IndexOf(' ');

        // At the first convolution (linear in its input) the vector is the mean of conv(one-hot(cheese) − one-hot(floor)) at the cheese's cell.
        var expected = new double[input.Length];
        var state = network.StateDict();
        var w = state["conv1.weight"].Values;
        var outChannels = state["conv1.weight"].Shape[0];
        foreach (var level in levels)
        {
            var (r, c) = (level.GoalCell / 7, level.GoalCell % 7);
            for (var o = 0; o < outChannels; o++)
            {
                for (var dr = -1; dr <= 1; dr++)
                {
                    for (var dc = -1; dc <= 1; dc++)
                    {
                        var (rr, cc) = (r - dr, c - dc);
                        if (rr is >= 0 and < 7 && cc is >= 0 and < 7)
                        {
                            var k = ((dr + 1) * 3) + dc + 1;
                            expected[(((o * 7) + rr) * 7) + cc] += (w[(((o * channels) + cheeseChannel) * 9) + k] - w[(((o * channels) + floorChannel) * 9) + k]) / levels.Length;
                        }
                    }
                }
            }
        }

        for (var i = 0; i < input.Length; i++)
        {
            Assert.Equal(expected[i], input[i], 1e-5);
        }
    }

    [Fact]
    public void A_channel_held_constant_has_no_effect_under_resampling()
    {
        var levels = Cheese.SampleLevels("deploy", 6, 3, Seven).Select(l => MazeLevel.Create(Cheese, l, "cheese", "corner", Seven)).ToArray();
        var network = CnnAgent(levels[0].World, 4).Actor;
        var state = network.StateDict();
        var weight = state["conv2.weight"];
        var perChannel = weight.Values.Length / weight.Shape[0];
        var values = weight.Values.ToArray();
        Array.Clear(values, 3 * perChannel, perChannel);
        state["conv2.weight"] = new Tensor(values, weight.Shape.ToArray());
        network.LoadStateDict(state);
        var layer = Activations.Resolve(network, "cact2");
        var result = ChannelAttribution.Compute(network, layer, levels, new ChannelAttributionOptions { Resamples = 2, RandomDirections = 30, Seed = 1 });
        Assert.Equal(0.0, result.ChannelEffects[3]);
        Assert.DoesNotContain(3, result.GoalChannels);
        Assert.All(result.ChannelEffects, e => Assert.InRange(e, 0, 1));
        Assert.Equal(12, result.Samples);
        Assert.Equal(30, result.BaselineEffects.Count);
        Assert.Throws<UserInputException>(() => ChannelAttribution.Compute(network, network.Layers.Count - 1, levels, new ChannelAttributionOptions()));
    }

    [Fact]
    public void The_experiment_is_deterministic_given_its_seed()
    {
        var world = Cheese.Build(new BuildOptions(Distribution: "deploy", Set: Seven));
        var trained = TrainedNetwork.FromAgent(Cheese, Seven, CnnAgent(world, 6));
        var options = new SteeringOptions
        {
            Levels = 4,
            VectorLevels = 4,
            Seed = 9,
            RetargetAll = true,
            RetargetChannels = 3,
            VisitLevels = 2,
            Attribution = new ChannelAttributionOptions { Resamples = 1, RandomDirections = 10 },
        };
        var a = SteeringExperiment.Run(trained, options);
        var b = SteeringExperiment.Run(trained, options);
        var c = SteeringExperiment.Run(trained, options with { Seed = 10 });
        Assert.Equal(a.Levels, b.Levels);
        Assert.Equal(a.Attribution!.ChannelEffects, b.Attribution!.ChannelEffects);
        Assert.Equal(a.Retarget!.Cells, b.Retarget!.Cells);
        Assert.NotEqual(a.Levels.Select(l => l.GoalCell), c.Levels.Select(l => l.GoalCell));
        Assert.Equal(4, a.Buckets.Sum(x => x.Levels));
        Assert.Equal(3, a.Retarget.Channels.Count);
        Assert.Equal(a.Attribution.ChannelEffects.Max(), a.Attribution.ChannelEffects[a.Retarget.Channels[0]]);
        Assert.Equal(2, a.Visits.Count);
        Assert.Equal(a.Visits[1].Before, b.Visits[1].Before);
        Assert.All(a.Levels, l => Assert.InRange(l.After.ReachGoal, 0, 1));
        Assert.Throws<UserInputException>(() => SteeringExperiment.Run(trained, options with { Distribution = "deplyo" }));
        Assert.Throws<UserInputException>(() => SteeringExperiment.Run(trained, options with { Layer = "conv9" }));
    }
}
