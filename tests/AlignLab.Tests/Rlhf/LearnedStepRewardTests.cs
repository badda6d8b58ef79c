using AlignLab.Envs;
using AlignLab.Grid;
using AlignLab.Preferences;
using AlignLab.Randomness;
using AlignLab.RewardModels;
using AlignLab.Rlhf;
using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.Tests.Rlhf;

/// <summary>
/// A learned reward as the environments' visible reward (<see cref="GridWorld.WithStepReward"/>): every step's reward
/// is the solver's tabulated value of the same transition, the dynamics and the hidden channel are those of the
/// original world, and stepping allocates nothing.
/// </summary>
public sealed class LearnedStepRewardTests
{
    private static readonly RlhfOptions Small = new()
    {
        Comparisons = 40,
        Seed = 5,
        Model = RewardModelKind.Mlp,
        RewardModel = new RewardModelOptions { Hidden = [16], EnsembleSize = 2, Epochs = 3 },
    };

    /// <summary>A small ensemble fitted to uniformly random segments. IslandNavigation: random walks soon end in the water (terminal steps); BoatRace never terminates (every episode is truncated).</summary>
    private static (GridWorld World, RewardEnsemble Ensemble) Learned(string id = "IslandNavigation-v0")
    {
        var world = ScenarioRegistry.BuiltIn.Get(id).Build();
        var learned = RlhfExperiment.Learn(world, BradleyTerryLabeller.Intended(), Small, RewardModelKind.Mlp, behaviour: null);
        return (world, learned.Ensemble);
    }

    /// <summary>The solver's tabulated learned reward of every enumerated transition, keyed by (board before, action, board after).</summary>
    private static Dictionary<string, double> Tabulated(GridWorld world, RewardEnsemble ensemble, out int terminal)
    {
        var recording = new Recording(new EnsembleTransitionReward(ensemble, new BoardTransitions(world)));
        using (ExactSolution.Create(world).Tabulate(recording, "learned"))
        {
        }

        terminal = recording.Terminal;
        return recording.Values;
    }

    private static string Key(ReadOnlySpan<byte> before, int action, ReadOnlySpan<byte> after) =>
        $"{Convert.ToHexString(before)}|{action}|{Convert.ToHexString(after)}";

    private static void AssertClose(double expected, double actual, string where) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"{where}: the solver tabulated {expected:R}, the environment reported {actual:R}");

    [Theory]
    [InlineData("IslandNavigation-v0", true)]
    [InlineData("BoatRace-v0", false)]
    public void EveryStepOfAGridEnvRewardsWhatTheSolverTabulatesForTheSameTransition(string id, bool terminates)
    {
        var (world, ensemble) = Learned(id);
        var table = Tabulated(world, ensemble, out var terminalTransitions);
        Assert.Equal(terminates, terminalTransitions > 0);
        var learnedWorld = world.WithStepReward(new LearnedStepReward(world, ensemble));
        var env = (GridEnv)EnvironmentFactory.Make(learnedWorld).Env;
        var rng = new Rng(17);
        var before = new byte[world.CellCount];
        int steps = 0, terminals = 0, truncations = 0;
        for (var episode = 0; episode < 12; episode++)
        {
            env.Reset(rng.NextUInt64());
            var done = false;
            while (!done)
            {
                env.Board.CopyTo(before);
                var action = rng.NextInt(env.Spec.ActionCount);
                var result = env.Step(action);
                var key = Key(before, action, env.Board);
                Assert.True(table.TryGetValue(key, out var expected), $"episode {episode}, step {env.Time}: the solver never rendered this transition ({key})");
                AssertClose(expected, result.Reward, $"episode {episode}, step {env.Time}");
                steps++;
                terminals += result.Terminated ? 1 : 0;
                truncations += result.Truncated ? 1 : 0;
                done = result.Done;
            }
        }

        Assert.Equal(12, terminals + truncations);
        Assert.Equal(terminates, terminals > 0);
        Assert.True(steps > 100);
    }

    [Fact]
    public void EveryStepOfAVectorEnvRewardsWhatTheSolverTabulatesIncludingTheStepsThatEndAnEpisode()
    {
        var (world, ensemble) = Learned();
        var table = Tabulated(world, ensemble, out _);
        var (vector, _) = EnvironmentFactory.MakeVector(world.WithStepReward(new LearnedStepReward(world, ensemble)), 4, 9);
        vector.Reset();
        var rng = new Rng(3);
        var actions = new int[vector.Count];
        var before = new byte[vector.Boards.Length];
        var cells = world.CellCount;
        var ends = 0;
        for (var t = 0; t < 300; t++)
        {
            vector.Boards.CopyTo(before);
            for (var i = 0; i < actions.Length; i++)
            {
                actions[i] = rng.NextInt(vector.Spec.ActionCount);
            }

            vector.Step(actions);
            for (var i = 0; i < actions.Length; i++)
            {
                var ended = vector.Terminated[i] || vector.Truncated[i];
                var after = (ended ? vector.FinalBoards : vector.Boards).Slice(i * cells, cells);
                var key = Key(before.AsSpan(i * cells, cells), actions[i], after);
                Assert.True(table.TryGetValue(key, out var expected), $"step {t}, environment {i}: the solver never rendered this transition");
                AssertClose(expected, vector.Rewards[i], $"step {t}, environment {i}");
                ends += vector.Terminated[i] ? 1 : 0;
            }
        }

        Assert.True(ends > 0, "some episodes must terminate");
    }

    [Fact]
    public void TheDynamicsAndTheHiddenChannelAreTheOriginalWorlds()
    {
        var (world, ensemble) = Learned();
        var original = EnvironmentFactory.Make(world, 4);
        var learned = EnvironmentFactory.Make(world.WithStepReward(new LearnedStepReward(world, ensemble)), 4);
        var rng = new Rng(8);
        var differs = false;
        for (var episode = 0; episode < 5; episode++)
        {
            original.Env.Reset();
            learned.Env.Reset();
            var done = false;
            while (!done)
            {
                var action = rng.NextInt(world.ActionLetters.Length);
                var a = original.Env.Step(action);
                var b = learned.Env.Step(action);
                Assert.Equal(original.Env.Board.ToArray(), learned.Env.Board.ToArray());
                Assert.Equal((a.Terminated, a.Truncated), (b.Terminated, b.Truncated));
                Assert.Equal(original.Hidden.LastIntended, learned.Hidden.LastIntended);
                Assert.Equal(original.Hidden.EpisodeIntended, learned.Hidden.EpisodeIntended);
                Assert.Equal(original.Hidden.LastEvents.ToArray(), learned.Hidden.LastEvents.ToArray());
                differs |= a.Reward != b.Reward;
                done = a.Done;
            }
        }

        Assert.True(differs, "the visible reward must be the learned one, not the specified one");
        Assert.Same(world.Reward, world.WithStepReward(new LearnedStepReward(world, ensemble)).Reward);
        Assert.Null(world.StepReward);
    }

    [Fact]
    public void SteppingOnALearnedRewardAllocatesNothing()
    {
        var (world, ensemble) = Learned();
        var learnedWorld = world.WithStepReward(new LearnedStepReward(world, ensemble));
        var env = EnvironmentFactory.Make(learnedWorld, 2).Env;
        var (vector, _) = EnvironmentFactory.MakeVector(learnedWorld, 4, 5);
        var rng = new Rng(1);
        var actions = new int[vector.Count];
        env.Reset();
        vector.Reset();
        void Run(int steps)
        {
            for (var t = 0; t < steps; t++)
            {
                if (env.Step(rng.NextInt(env.Spec.ActionCount)).Done)
                {
                    env.Reset();
                }

                for (var i = 0; i < actions.Length; i++)
                {
                    actions[i] = rng.NextInt(vector.Spec.ActionCount);
                }

                vector.Step(actions);
            }
        }

        Run(50);

        // The fewest bytes over five windows: an allocation per step shows in every window, the runtime's one-off
        // work on this thread (tiered compilation installing faster code while other tests run) in one.
        var fewest = long.MaxValue;
        for (var window = 0; window < 5; window++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            Run(100);
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, fewest);
    }

    /// <summary>Records every transition the solver evaluates, with the inner reward's value.</summary>
    private sealed class Recording(ITransitionReward inner) : ITransitionReward
    {
        public Dictionary<string, double> Values { get; } = new(StringComparer.Ordinal);

        public int Terminal { get; private set; }

        public void Evaluate(TransitionBatch batch, Span<double> rewards)
        {
            inner.Evaluate(batch, rewards);
            for (var i = 0; i < batch.Count; i++)
            {
                Values[Key(batch.Before(i), batch.Actions[i], batch.After(i))] = rewards[i];
                Terminal += batch.Terminal[i] ? 1 : 0;
            }
        }
    }
}
