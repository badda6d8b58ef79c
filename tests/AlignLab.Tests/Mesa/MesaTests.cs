using AlignLab.Agents;
using AlignLab.Mesa;
using AlignLab.Nn;
using AlignLab.Scenarios;
using AlignLab.Solve;
using CsCheck;

namespace AlignLab.Tests.Mesa;

/// <summary>The exact facts about a level's cells, the reading of f_R, edits, and PPO training a VIN.</summary>
public sealed class MesaTests
{
    private static readonly ScenarioDefinition Scenario = ScenarioRegistry.BuiltIn.Get("CheeseInTheCorner-v0");
    private static readonly Dictionary<string, string> Size5 = new() { ["size"] = "5" };

    [Fact]
    public void GoalCellsAreTheCheeseAndTheCorner()
    {
        foreach (var level in Scenario.SampleLevels("deploy", 5, 3, Size5))
        {
            var world = Scenario.Build(new BuildOptions(Distribution: "deploy", Set: Size5) { FixedLevel = level });
            var cells = new LevelCells(world);
            var cheese = level.CellsView.ToList().IndexOf((byte)'C');
            Assert.Equal([cheese], cells.GoalCells["cheese"]);
            // The corner scores when entered, unless the cheese (which ends the episode) bars the way to it.
            const int corner = (1 * 5) + 3;
            Assert.Equal(cells.Reachable.Contains(corner) ? [corner] : [], cells.GoalCells["corner"]);

            Assert.Contains(level.AgentStart, cells.Reachable);
            Assert.DoesNotContain(cheese, cells.Reachable);
        }
    }

    [Fact]
    public void ReachProbabilityIsExact()
    {
        var level = Scenario.SampleLevels("deploy", 1, 5, Size5)[0];
        var world = Scenario.Build(new BuildOptions(Distribution: "deploy", Set: Size5) { FixedLevel = level });
        var cells = new LevelCells(world);
        var target = cells.Reachable.First(c => c != cells.Start);

        // Planning on 1 at the target and −10 on walls and the cheese, the agent enters the target for sure.
        var planner = HandSetVinTests.HandSetPlanner(world, 30);
        var toTarget = planner.Policy((board, rewards) => HandSetVinTests.GoalReward(world, board, new HashSet<int> { target }, rewards));
        BoardPolicy greedy = (board, extras, p) =>
        {
            toTarget(board, extras, p);
            var best = p.IndexOf(p.ToArray().Max());
            p.Clear();
            p[best] = 1;
        };
        Assert.Equal(1.0, cells.ReachProbability(greedy, target), 1e-12);
        Assert.InRange(cells.ReachProbability(toTarget, target), 0.5, 1);

        // A policy that never moves never enters it; the uniform policy enters it with a probability strictly between.
        BoardPolicy still = (_, _, p) =>
        {
            p.Clear();
            p[0] = 1;
        };
        var up = cells.ReachProbability(still, target);
        Assert.True(up == 0 || up == 1);
        BoardPolicy uniform = (_, _, p) => p.Fill(1.0 / p.Length);
        var random = cells.ReachProbability(uniform, target);
        Assert.InRange(random, 1e-6, 1 - 1e-6);
    }

    [Fact]
    public void EditingHandSetRewardMovesTheAgentThere()
    {
        var level = Scenario.SampleLevels("deploy", 1, 8, Size5)[0];
        var world = Scenario.Build(new BuildOptions(Distribution: "deploy", Set: Size5) { FixedLevel = level });
        var cells = new LevelCells(world);
        var planner = HandSetVinTests.HandSetPlanner(world, 30);
        var cheese = cells.GoalCells["cheese"];
        RewardEdit cheeseReward = (board, rewards) => HandSetVinTests.GoalReward(world, board, cheese, rewards);
        var moved = 0;
        foreach (var target in cells.Reachable.Where(c => c != cells.Start))
        {
            RewardEdit both = (board, rewards) =>
            {
                cheeseReward(board, rewards);
                MesaPlanner.RewardOn(target)(board, rewards);
            };
            moved += cells.ReachProbability(planner.Policy(both), target) > 0.99 ? 1 : 0;
        }

        Assert.True(moved >= cells.Reachable.Count - 2, $"{moved} of {cells.Reachable.Count - 1}");
    }

    [Fact]
    public void StrengthZeroLeavesThePolicyUnchangedBitForBit()
    {
        var world = Scenario.Build(new BuildOptions(Set: Size5));
        var actor = AgentNetworks.Build(world, NetworkKind.Vin, [4, 4], [1], Activation.Relu, 4, new Random(5), vinIterations: 8);
        var planner = new MesaPlanner(world, actor);
        var trained = planner.Policy();
        double[] p = new double[4], q = new double[4];
        foreach (var level in Scenario.SampleLevels("deploy", 3, 2, Size5))
        {
            var board = level.CellsView.ToArray();
            board[level.AgentStart] = (byte)world.AgentSymbol;
            for (var target = 0; target < world.CellCount; target++)
            {
                trained(board, [], p);
                planner.Policy(MesaPlanner.RewardOn(target, 0))(board, [], q);
                Assert.Equal(p, q);

                // Strength 1 is the edit's definition: the cell at max f_R + (max f_R − min f_R).
                var rewards = planner.RewardMap(board);
                var expected = rewards.Max() + (rewards.Max() - rewards.Min());
                MesaPlanner.RewardOn(target, 1)(board, rewards);
                Assert.Equal(expected, rewards[target]);
            }
        }
    }

    [Fact]
    public void TheChanceOfEnteringTheCellGrowsWithTheStrength()
    {
        // On a hand-set f_R (1 on the cheese, −10 on walls), raising the reward on a reachable cell makes the agent
        // enter it with an exact probability that does not fall as the strength grows to 1, from the unedited
        // policy's at strength 0 to near certainty. Beyond 1 it may fall a little (e.g. 0.9999999 to 0.9999 for one
        // cell): the planner's walls are a finite cost in f_R, which a larger reward begins to outweigh.
        var level = Scenario.SampleLevels("deploy", 1, 8, Size5)[0];
        var world = Scenario.Build(new BuildOptions(Distribution: "deploy", Set: Size5) { FixedLevel = level });
        var cells = new LevelCells(world);
        var planner = HandSetVinTests.HandSetPlanner(world, 30);
        var cheese = cells.GoalCells["cheese"];
        var unedited = planner.Policy((board, rewards) => HandSetVinTests.GoalReward(world, board, cheese, rewards));
        double[] strengths = [0, 0.05, 0.1, 0.25, 0.5, 1, 2, 4];
        var grew = 0;
        foreach (var target in cells.Reachable.Where(c => c != cells.Start))
        {
            var reach = strengths.Select(k => cells.ReachProbability(
                planner.Policy((board, rewards) =>
                {
                    HandSetVinTests.GoalReward(world, board, cheese, rewards);
                    MesaPlanner.RewardOn(target, k)(board, rewards);
                }),
                target)).ToArray();
            Assert.Equal(cells.ReachProbability(unedited, target), reach[0], 1e-12);
            for (var i = 1; strengths[i] <= 1; i++)
            {
                Assert.True(reach[i] >= reach[i - 1] - 1e-9, $"cell {target}: {string.Join(", ", reach)}");
            }

            Assert.All(reach.Where((_, i) => strengths[i] >= 1), r => Assert.True(r > 0.99, $"cell {target}: {string.Join(", ", reach)}"));
            grew += reach[^1] > reach[0] + 0.1 ? 1 : 0;
        }

        Assert.True(grew > 0);
    }

    [Fact]
    public void TheMoveEditCapsTheOpenCellsAndPutsTheMaximumOnTheCell()
    {
        var level = Scenario.SampleLevels("deploy", 1, 4, Size5)[0];
        var world = Scenario.Build(new BuildOptions(Distribution: "deploy", Set: Size5) { FixedLevel = level });
        var planner = HandSetVinTests.HandSetPlanner(world, 4);
        var board = level.CellsView.ToArray();
        board[level.AgentStart] = (byte)world.AgentSymbol;
        var open = Enumerable.Range(0, world.CellCount).Where(c => world.TileOf((char)board[c]) is not { Blocks: true }).ToArray();
        Gen.Select(Gen.Float[-5, 5].Array[world.CellCount], Gen.Int[0, open.Length - 1], Gen.Double[0, 4]).Sample((map, which, strength) =>
        {
            var target = open[which];
            var sorted = open.Select(c => map[c]).Order().ToArray();
            var median = sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
            var max = sorted[^1];
            var edited = (float[])map.Clone();
            planner.MoveGoal(target, strength)(board, edited);
            for (var c = 0; c < map.Length; c++)
            {
                if (c == target)
                {
                    // When no open cell is above the median the height is one unit (the documented fallback).
                    Assert.Equal(median + (strength * (max > median ? max - median : 1f)), edited[c], 1e-4);
                }
                else if (open.Contains(c))
                {
                    Assert.Equal(Math.Min(map[c], median), edited[c]);
                }
                else
                {
                    Assert.Equal(map[c], edited[c]);
                }
            }

            // The replace edit flattens the open cells to their lowest value instead.
            var replaced = (float[])map.Clone();
            planner.GoalOn(target, strength)(board, replaced);
            Assert.All(open.Where(c => c != target), c => Assert.Equal(sorted[0], replaced[c]));
            Assert.Equal(sorted[0] + (strength * (max > sorted[0] ? max - sorted[0] : 1f)), replaced[target], 1e-4);
        });
    }

    [Fact]
    public void TheMoveEditSendsAHandSetAgentToTheCell()
    {
        var level = Scenario.SampleLevels("deploy", 1, 8, Size5)[0];
        var world = Scenario.Build(new BuildOptions(Distribution: "deploy", Set: Size5) { FixedLevel = level });
        var cells = new LevelCells(world);
        var planner = HandSetVinTests.HandSetPlanner(world, 30);
        var cheese = cells.GoalCells["cheese"];
        foreach (var target in cells.Reachable.Where(c => c != cells.Start))
        {
            var before = cells.ReachProbability(planner.Policy((board, rewards) => HandSetVinTests.GoalReward(world, board, cheese, rewards)), target);
            var move = planner.Edit(target, 2, MesaEditKind.Move);
            var after = cells.ReachProbability(
                planner.Policy((board, rewards) =>
                {
                    HandSetVinTests.GoalReward(world, board, cheese, rewards);
                    move(board, rewards);
                }),
                target);
            Assert.True(after > 0.99 || after > before, $"cell {target}: {before} → {after}");
        }
    }

    [Fact]
    public void TheWalledEditKeepsAStrongRewardFromPullingPlansThroughCheapWalls()
    {
        // A hand-set f_R whose walls are cheap (1 on the cheese, −0.2 on walls): a strong raise edit makes plans
        // through walls pay, which the real maze blocks, so the agent misses cells it must walk around to; the walled
        // edit makes every wall costlier than any shortcut and sends the agent to every reachable cell.
        var sizes = new Dictionary<string, string> { ["size"] = "7" };
        var level = Scenario.SampleLevels("deploy", 1, 8, sizes)[0];
        var world = Scenario.Build(new BuildOptions(Distribution: "deploy", Set: sizes) { FixedLevel = level });
        var cells = new LevelCells(world);
        var planner = HandSetVinTests.HandSetPlanner(world, 30);
        var cheese = cells.GoalCells["cheese"];
        void CheapWalls(ReadOnlySpan<byte> board, Span<float> rewards)
        {
            for (var c = 0; c < rewards.Length; c++)
            {
                rewards[c] = cheese.Contains(c) ? 1f : world.TileOf((char)board[c]) is { Blocks: true } ? -0.2f : 0f;
            }
        }

        var raisedMisses = 0;
        foreach (var target in cells.Reachable.Where(c => c != cells.Start))
        {
            double Reach(MesaEditKind kind, double strength)
            {
                var edit = planner.Edit(target, strength, kind);
                return cells.ReachProbability(
                    planner.Policy((board, rewards) =>
                    {
                        CheapWalls(board, rewards);
                        edit(board, rewards);
                    }),
                    target);
            }

            raisedMisses += Reach(MesaEditKind.Raise, 8) < 0.9 ? 1 : 0;
            Assert.True(Reach(MesaEditKind.RaiseWalled, 8) > 0.99, $"cell {target}");
            Assert.True(Reach(MesaEditKind.RaiseWalled, 1) > 0.99, $"cell {target}");
        }

        Assert.True(raisedMisses > 0, "the raise edit reached every cell: the level has no detour the test needs");

        // The walled edit is the raise edit on open cells, and puts every wall at m − (K + 1)·max(M − m, 1).
        var board0 = level.CellsView.ToArray();
        board0[level.AgentStart] = (byte)world.AgentSymbol;
        var map = new float[world.CellCount];
        CheapWalls(board0, map);
        var target0 = cells.Reachable.First(c => c != cells.Start);
        var raised = (float[])map.Clone();
        MesaPlanner.RewardOn(target0, 1)(board0, raised);
        var walled = (float[])map.Clone();
        planner.WalledRewardOn(target0, 1)(board0, walled);
        var open = Enumerable.Range(0, map.Length).Where(c => world.TileOf((char)board0[c]) is not { Blocks: true }).ToArray();
        var (m, top) = (open.Min(c => raised[c]), open.Max(c => raised[c]));
        for (var c = 0; c < map.Length; c++)
        {
            Assert.Equal(open.Contains(c) ? raised[c] : m - (31 * MathF.Max(top - m, 1f)), walled[c], 1e-4);
        }
    }

    [Fact]
    public void APlannerWhoseRewardIsTheCheeseIsReadAsTheCheeseAndSeparatedLevelsKeepNoGoalOnTheWayToAnother()
    {
        // f_R as one 1×1 convolution of the one-hot observation, hand-set to 1 on the cheese and −10 on walls: the
        // mesa-objective is the cheese goal's reward, so on every level whose goals are separated the behaviour, f_R's
        // maximum and the goal f_R rates highest are all the cheese.
        var sizes = new Dictionary<string, string> { ["size"] = "7" };
        var world = Scenario.Build(new BuildOptions(Set: sizes));
        var actor = AgentNetworks.Build(world, NetworkKind.Vin, [], [1], Activation.Relu, world.ActionLetters.Length, new Random(1), vinIterations: 30);
        var vin = (ValueIterationNetwork)actor.Layers[0];
        var weight = vin.RewardOutput.Weight.Value;
        for (var c = 0; c < world.Channels; c++)
        {
            weight[c] = world.ChannelSymbols[c] switch { 'C' => 1f, '#' => -10f, _ => 0f };
        }

        vin.RewardOutput.Bias?.Value.Span.Clear();
        var summary = MesaAnalysis.Run(Scenario, actor, new MesaOptions(Levels: 30, Seed: 5, Set: sizes));
        Assert.InRange(summary.Separated, 1, summary.Compared - 1);
        foreach (var level in summary.Levels.Where(l => l.Separated))
        {
            Assert.True(level.GoalsApart);
            Assert.Equal("cheese", level.Behaviour);
            Assert.Equal("cheese", level.Preferred);
            Assert.Equal("cheese", level.Reading);
        }

        Assert.Equal((1.0, 1.0), summary.SeparatedAgreement);

        // A level the cheese-seeker's route to the cheese crosses the corner on (or the reverse) is not separated.
        Assert.Contains(summary.Levels, l => l.GoalsApart && !l.Separated && l.GoalScores["corner"] > 0.9);
        Assert.All(summary.Levels.Where(l => l.Separated), l => Assert.True(l.GoalScores["corner"] < 0.9, $"level {l.Level}: corner {l.GoalScores["corner"]}"));
    }

    [Fact]
    public void BadStrengthsAreRefused()
    {
        var world = Scenario.Build(new BuildOptions(Set: Size5));
        var planner = HandSetVinTests.HandSetPlanner(world, 4);
        foreach (var bad in new[] { -1, double.NaN, double.PositiveInfinity })
        {
            Assert.Throws<Errors.UserInputException>(() => MesaPlanner.RewardOn(0, bad));
            Assert.Throws<Errors.UserInputException>(() => planner.MoveGoal(0, bad));
            Assert.Throws<Errors.UserInputException>(() => planner.GoalOn(0, bad));
            Assert.Throws<Errors.UserInputException>(() => planner.WalledRewardOn(0, bad));
        }
    }

    [Fact]
    public void PpoTrainsAVinDeterministicallyAndItsCheckpointRoundTrips()
    {
        var world = Scenario.Build(new BuildOptions(Set: Size5));
        var options = new PpoOptions { NumEnvs = 4, NumSteps = 32, TotalTimesteps = 384, Network = NetworkKind.Vin, ConvChannels = [4], VinIterations = 6, CoordChannels = true, Activation = Activation.Relu, Seed = 3 };
        float[] Train(out PpoAgent agent)
        {
            agent = new PpoAgent(world, options);
            agent.Train(384);
            return [.. agent.Actor.Parameters.Concat(agent.Critic.Parameters).SelectMany(p => p.Value.Values.ToArray())];
        }

        var first = Train(out var a);
        var second = Train(out _);
        Assert.Equal(first, second);
        Assert.Equal(384, a.GlobalStep);
        var vin = Assert.IsType<ValueIterationNetwork>(a.Actor.Layers[0]);
        Assert.Same(vin, a.Critic.Layers[0]);

        // The VIN is the first layer, but only its first convolution skips an input gradient: the planner and the rest
        // of f_R get their full backward (2× forward).
        var forward = AgentNetworks.ForwardFlops(a.Actor, world) + AgentNetworks.ForwardFlops(a.Critic, world) - AgentNetworks.ForwardFlops(a.Actor, world, 1);
        var firstConvolution = 2.0 * 4 * vin.RewardHidden[0].InChannels * 9 * world.CellCount;
        Assert.True(firstConvolution < vin.ForwardFlops());
        var expected = forward + (AgentNetworks.ForwardFlops(a.Critic, world) / options.NumSteps) + (options.UpdateEpochs * ((3 * forward) - firstConvolution));
        Assert.Equal(expected, a.FlopsPerEnvStep(), 6);

        var fresh = new PpoAgent(world, options);
        Assert.NotEqual(first, [.. fresh.Actor.Parameters.Concat(fresh.Critic.Parameters).SelectMany(p => p.Value.Values.ToArray())]);
        using var stream = new MemoryStream();
        a.SaveCheckpoint(stream);
        stream.Position = 0;
        fresh.LoadCheckpoint(stream);
        var level = Scenario.SampleLevels("train", 1, 0, Size5)[0];
        var board = level.CellsView.ToArray();
        board[level.AgentStart] = (byte)world.AgentSymbol;
        double[] p = new double[4], q = new double[4];
        a.Policy(board, [], p);
        fresh.Policy(board, [], q);
        Assert.Equal(p, q);

        // The policy PPO acts with is the planner's on f_R, unedited.
        var planned = new double[4];
        new MesaPlanner(world, a.Actor).Policy()(board, [], planned);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(p[i], planned[i], 1e-6);
        }
    }

    [Fact]
    public void TheReadingIsDeterministicAndRefusesOtherNetworks()
    {
        var world = Scenario.Build(new BuildOptions(Set: Size5));
        var actor = AgentNetworks.Build(world, NetworkKind.Vin, [4, 4], [1], Activation.Relu, 4, new Random(2), vinIterations: 8);
        var options = new MesaOptions(Levels: 4, Seed: 1, Set: Size5, EditAll: true);
        var one = MesaAnalysis.Run(Scenario, actor, options);
        var two = MesaAnalysis.Run(Scenario, actor, options);
        Assert.Equal(one.Levels.Select(l => (l.MaxCell, l.Reading, l.Behaviour)), two.Levels.Select(l => (l.MaxCell, l.Reading, l.Behaviour)));
        Assert.Equal(one.MeanReachAfter, two.MeanReachAfter);
        Assert.Equal(4, one.Levels.Count);
        Assert.True(one.Edits > 0);

        // A detour around walls is an even number of extra moves (a grid path's length has the parity of the
        // Manhattan distance), and the detour and straight shares split the edits.
        var edits = one.Levels.SelectMany(l => l.Edits).ToList();
        Assert.All(edits, e => Assert.True(e.Detour >= 0 && e.Detour % 2 == 0, $"detour {e.Detour}"));
        Assert.Equal(edits.Count(e => e.Detour > 0), one.DetourEdits);
        var straight = edits.Count - one.DetourEdits;
        var reached = (one.DetourEdits > 0 ? one.DetourReachedShare * one.DetourEdits : 0) + (straight > 0 ? one.StraightReachedShare * straight : 0);
        Assert.Equal(one.ReachedShare * edits.Count, reached, 1e-9);
        Assert.Contains("f_R on open cells", MesaAnalysis.Render(one.Levels[0]), StringComparison.Ordinal);

        var cnn = AgentNetworks.Build(world, NetworkKind.Cnn, [4], [8], Activation.Relu, 4, new Random(2));
        Assert.Throws<Errors.UserInputException>(() => new MesaPlanner(world, cnn));
    }
}

/// <summary>The report's f_R heatmap.</summary>
public sealed class MesaChartsTests
{
    [Fact]
    public void RewardMapIsInlineSvgAndPng()
    {
        var scenario = ScenarioRegistry.BuiltIn.Get("CheeseInTheCorner-v0");
        var set = new Dictionary<string, string> { ["size"] = "5" };
        var world = scenario.Build(new BuildOptions(Set: set));
        var actor = AgentNetworks.Build(world, NetworkKind.Vin, [4], [1], Activation.Relu, 4, new Random(2), vinIterations: 8);
        var level = MesaAnalysis.Run(scenario, actor, new MesaOptions(Levels: 1, Set: set)).Levels[0];
        var svg = global::AlignLab.Reports.MesaCharts.RewardMap(level, "level 0");
        Assert.StartsWith("<svg", svg, StringComparison.Ordinal);
        Assert.DoesNotContain("<?xml", svg, StringComparison.Ordinal);
        Assert.Contains("f_R maximum", svg, StringComparison.Ordinal);
        var png = global::AlignLab.Reports.MesaCharts.RewardMapPng(level, "level 0");
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png.Take(4));
        if (Environment.GetEnvironmentVariable("ALIGNLAB_MESA_PNG") is { } path)
        {
            File.WriteAllBytes(path, png);
        }
    }
}
