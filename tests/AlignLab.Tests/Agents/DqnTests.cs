using AlignLab.Agents;
using AlignLab.Envs;
using AlignLab.Grid;
using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.Tests.Agents;

/// <summary>DQN: smoke test, ε schedule, determinism, checkpoints, allocation, and what it learns, verified exactly.</summary>
public sealed class DqnTests(ITestOutputHelper output)
{
    private static readonly DqnOptions Tiny = new()
    {
        TotalTimesteps = 400,
        LearningStarts = 100,
        BufferSize = 256,
        BatchSize = 16,
        TrainFrequency = 2,
        TargetNetworkFrequency = 50,
        Hidden = [16],
        Seed = 5,
    };

    private static readonly DqnOptions Learning = new()
    {
        LearningRate = 1e-3,
        LearningStarts = 1000,
        BufferSize = 10_000,
        BatchSize = 32,
        TrainFrequency = 2,
        TargetNetworkFrequency = 250,
        Hidden = [32],
        Seed = 1,
    };

    private static (DqnAgent Agent, GridWorld World) Train(string id, DqnOptions options, Action<AgentMetric>? progress = null)
    {
        var world = ScenarioRegistry.BuiltIn.Get(id).Build();
        var (env, _) = EnvironmentFactory.MakeVector(world, options.NumEnvs, options.Seed);
        var agent = new DqnAgent(world, options);
        agent.Train(env, progress);
        return (agent, world);
    }

    private static float[] Weights(DqnAgent agent) =>
        [.. agent.QNetwork.Parameters.Concat(agent.TargetNetwork.Parameters).SelectMany(p => p.Value.Values.ToArray())];

    [Fact]
    public void SmokeTestWithATinyBudgetTrainsAndReports()
    {
        var metrics = new List<AgentMetric>();
        var (agent, world) = Train("BoatRace-v0", Tiny with { NumEnvs = 2 }, metrics.Add);
        Assert.Equal(400, agent.GlobalStep);
        Assert.Equal((400 - 100) / 2, agent.GradientSteps);
        Assert.InRange(agent.BufferCount, 1, 256);
        Assert.Contains(metrics, m => m.Name == MetricNames.EpisodicReturn);
        Assert.Contains(metrics, m => m.Name == MetricNames.TdLoss && double.IsFinite(m.Value));
        var values = ExactSolution.Create(world).Evaluate(agent.Policy);
        Assert.False(double.IsNaN(values.Reward));
    }

    [Theory]
    [InlineData("BoatRace-v0")]
    [InlineData("DistributionalShift-v0")]
    public void EveryTransitionIsStoredWithItsTrueNextObservation(string id)
    {
        // 200 steps of 2 environments, no wrap-around: slot t·2 + i holds environment i's step t.
        var options = Tiny with { NumEnvs = 2, BufferSize = 512 };
        var (agent, world) = Train(id, options);
        Assert.Equal(400, agent.BufferCount);
        var singles = Enumerable.Range(0, 2).Select(i => EnvironmentFactory.Make(world, options.Seed + (ulong)i).Env).ToArray();
        foreach (var s in singles)
        {
            s.Reset();
        }

        var obsLength = world.Channels * world.CellCount;
        int terminations = 0, truncations = 0;
        for (var k = 0; k < 400; k++)
        {
            var single = singles[k % 2];
            Assert.True(single.Observation.SequenceEqual(agent.BufferObservations.Slice(k * obsLength, obsLength)), $"slot {k}: observation");
            var result = single.Step(agent.BufferActions[k]);

            // The next observation is the one the action led to: for an ended episode its final one, not the reset one.
            Assert.True(single.Observation.SequenceEqual(agent.BufferNextObservations.Slice(k * obsLength, obsLength)), $"slot {k}: next observation");

            // Terminated: done = 1. Truncated: done = 0, so the target bootstraps from the state that was cut off.
            Assert.Equal(result.Terminated ? 1f : 0f, agent.BufferDones[k]);
            terminations += result.Terminated ? 1 : 0;
            truncations += result.Truncated ? 1 : 0;
            if (result.Done)
            {
                single.Reset();
            }
        }

        Assert.True(id == "BoatRace-v0" ? truncations == 4 : terminations > 0, $"{terminations} terminations, {truncations} truncations");
    }

    [Fact]
    public void EpsilonFallsLinearlyThenStays()
    {
        var options = new DqnOptions { TotalTimesteps = 1000, StartEpsilon = 1, EndEpsilon = 0.1, ExplorationFraction = 0.5 };
        Assert.Equal(1, options.EpsilonAt(0), 12);
        Assert.Equal(0.55, options.EpsilonAt(250), 12);
        Assert.Equal(0.1, options.EpsilonAt(500), 12);
        Assert.Equal(0.1, options.EpsilonAt(900), 12);
    }

    [Fact]
    public void PolicyIsGreedyOneHot()
    {
        var (agent, world) = Train("DistributionalShift-v0", Tiny);
        var env = EnvironmentFactory.Make(world, 0).Env;
        env.Reset(0);
        var p = new double[4];
        agent.Policy(env.Board, env.Extras, p);
        Assert.Equal(1, p.Count(x => x == 1));
        Assert.Equal(3, p.Count(x => x == 0));
    }

    [Fact]
    public void TheSameSeedGivesBitIdenticalWeights()
    {
        var a = Weights(Train("DistributionalShift-v0", Tiny).Agent);
        var b = Weights(Train("DistributionalShift-v0", Tiny).Agent);
        Assert.Equal(a, b);
        Assert.NotEqual(a, Weights(Train("DistributionalShift-v0", Tiny with { Seed = 6 }).Agent));
    }

    [Fact]
    public void SoftTargetUpdatesTrainToo()
    {
        var (agent, _) = Train("BoatRace-v0", Tiny with { Tau = 0.05, TargetNetworkFrequency = 1 });
        Assert.NotEqual(
            agent.QNetwork.Parameters[0].Value.Values.ToArray(),
            agent.TargetNetwork.Parameters[0].Value.Values.ToArray());
    }

    [Fact]
    public void CheckpointRoundTripRestoresNetworksStepsAndGenerator()
    {
        var (agent, world) = Train("BoatRace-v0", Tiny);
        var path = Path.Combine(Path.GetTempPath(), $"alignlab-dqn-{Guid.NewGuid():N}.safetensors");
        try
        {
            agent.SaveCheckpoint(path);
            var restored = new DqnAgent(world, Tiny with { Seed = 77 });
            restored.LoadCheckpoint(path);
            Assert.Equal(Weights(agent), Weights(restored));
            Assert.Equal(agent.GlobalStep, restored.GlobalStep);
            Assert.Equal(agent.GradientSteps, restored.GradientSteps);
            Assert.Equal(agent.RngState, restored.RngState);
            var solution = ExactSolution.Create(world);
            Assert.Equal(solution.Evaluate(agent.Policy).Reward, solution.Evaluate(restored.Policy).Reward);
            Assert.Contains("q_network.fc1.weight", AlignLab.Nn.Safetensors.Load(path).Keys);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TrainingAllocatesNothingAfterWarmUp()
    {
        var allocated = new List<long>(64);
        Train("DistributionalShift-v0", Tiny with { TotalTimesteps = 3000 }, m =>
        {
            if (m.Name == MetricNames.TdLoss)
            {
                allocated.Add(GC.GetAllocatedBytesForCurrentThread());
            }
        });

        // A report every 100 gradient steps: (3000 − 100) / 2 = 1450 steps → 14 reports.
        Assert.Equal(14, allocated.Count);
        Assert.Equal(0, allocated[^1] - allocated[1]);
    }

    [Fact]
    public void LearnsToReachTheGoalSafelyOnDistributionalShift()
    {
        var (agent, world) = Train("DistributionalShift-v0", Learning with { NumEnvs = 4, TotalTimesteps = 16_000, RewardScale = 0.02 });
        var values = ExactSolution.Create(world).Evaluate(agent.Policy);
        output.WriteLine($"reward {values.Reward} score {values.RewardScore}");

        // The greedy policy takes the shortest safe path: 8 steps, 50 − 8 = 42, exactly optimal.
        Assert.Equal(1, values.RewardScore, 9);
        Assert.Equal(0, values.Goals["lava"], 9);
    }

    [Fact]
    public void LearnsToGameTheBoatRace()
    {
        var (agent, world) = Train("BoatRace-v0", Learning with { TotalTimesteps = 10_000, RewardScale = 0.1 });
        var values = ExactSolution.Create(world).Evaluate(agent.Policy);
        output.WriteLine($"reward {values.Reward} score {values.RewardScore} intended {values.Intended} laps {values.Goals["laps"]}");

        // Reward-optimal, yet it farms the first checkpoint back and forth instead of lapping.
        Assert.Equal(1, values.RewardScore, 9);
        Assert.True(values.Intended <= 4, $"intended {values.Intended}");
    }

    [Fact]
    public void CnnQNetworkTrainsDeterministicallyAndCheckpoints()
    {
        var options = Tiny with { NumEnvs = 2, Network = NetworkKind.Cnn, ConvChannels = [4] };
        var (agent, world) = Train("BoatRace-v0", options);
        Assert.Equal(["conv1", "cact1", "flatten", "fc1", "act1", "fc2"], agent.QNetwork.LayerNames);
        Assert.Equal((400 - 100) / 2, agent.GradientSteps);
        Assert.Equal(Weights(agent), Weights(Train("BoatRace-v0", options).Agent));
        var path = Path.Combine(Path.GetTempPath(), $"alignlab-dqn-cnn-{Guid.NewGuid():N}.safetensors");
        try
        {
            agent.SaveCheckpoint(path);
            var restored = new DqnAgent(world, options with { Seed = 77 });
            restored.LoadCheckpoint(path);
            Assert.Equal(Weights(agent), Weights(restored));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
