using AlignLab.Agents;
using AlignLab.Envs;
using AlignLab.Grid;
using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.Tests.Agents;

/// <summary>PPO: smoke test, determinism, checkpoints, allocation, and what it learns, verified exactly.</summary>
public sealed class PpoTests(ITestOutputHelper output)
{
    private static (PpoAgent Agent, GridWorld World) Train(string id, PpoOptions options, Action<AgentMetric>? progress = null)
    {
        var world = ScenarioRegistry.BuiltIn.Get(id).Build();
        var (env, _) = EnvironmentFactory.MakeVector(world, options.NumEnvs, options.Seed);
        var agent = new PpoAgent(world, options);
        agent.Train(env, progress);
        return (agent, world);
    }

    private static float[] Weights(PpoAgent agent) =>
        [.. agent.Actor.Parameters.Concat(agent.Critic.Parameters).SelectMany(p => p.Value.Values.ToArray())];

    private static readonly PpoOptions Tiny = new() { NumEnvs = 2, NumSteps = 16, NumMinibatches = 2, UpdateEpochs = 2, TotalTimesteps = 96, Hidden = [16], Seed = 3 };

    [Fact]
    public void SmokeTestWithATinyBudgetReportsCleanRlMetrics()
    {
        var metrics = new List<AgentMetric>();
        var (agent, world) = Train("BoatRace-v0", Tiny, metrics.Add);
        Assert.Equal(3, agent.Iteration);
        Assert.Equal(96, agent.GlobalStep);
        var names = metrics.Select(m => m.Name).ToHashSet();
        foreach (var name in new[] { MetricNames.LearningRate, MetricNames.ValueLoss, MetricNames.PolicyLoss, MetricNames.Entropy, MetricNames.ApproxKl, MetricNames.ClipFraction, MetricNames.StepsPerSecond, MetricNames.ExplainedVariance })
        {
            Assert.Contains(name, names);
        }

        // Linear annealing: updates 1..3 of 3 run at lr, 2/3 lr, 1/3 lr.
        var rates = metrics.Where(m => m.Name == MetricNames.LearningRate).Select(m => m.Value).ToArray();
        Assert.Equal([2.5e-4, 2.5e-4 * 2 / 3, 2.5e-4 / 3], rates, (a, b) => Math.Abs(a - b) < 1e-9);
        Assert.All(metrics.Where(m => m.Name == MetricNames.Entropy), m => Assert.InRange(m.Value, 0, Math.Log(4) + 1e-6));

        var values = ExactSolution.Create(world).Evaluate(agent.Policy);
        Assert.False(double.IsNaN(values.Reward));
    }

    [Fact]
    public void AResumedRunEndsWithExactlyTheWeightsOfAnUninterruptedOne()
    {
        var options = Tiny with { TotalTimesteps = 32 * 6 };
        var straight = Weights(Train("TomatoWatering-v0", options).Agent);

        var world = ScenarioRegistry.BuiltIn.Get("TomatoWatering-v0").Build();
        var (env, _) = EnvironmentFactory.MakeVector(world, options.NumEnvs, options.Seed);
        var first = new PpoAgent(world, options);
        first.Train(env, maxUpdates: 2);
        var path = Path.Combine(Path.GetTempPath(), $"ppo-resume-{Guid.NewGuid():N}.safetensors");
        try
        {
            first.SaveCheckpoint(path, env);

            // A fresh process would build everything anew: new agent, new batch, then load.
            var (freshEnv, _) = EnvironmentFactory.MakeVector(world, options.NumEnvs, 999);
            var resumed = new PpoAgent(world, options with { Seed = 12345 });
            resumed.LoadCheckpoint(path, freshEnv);
            resumed.Train(freshEnv);
            Assert.Equal(6, resumed.Iteration);
            Assert.Equal(straight, Weights(resumed));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BootstrapOnTruncationAddsTheValueOfTheFinalObservation(bool bootstrap)
    {
        // BoatRace-v0 never terminates and truncates after 100 steps: in a 100-step rollout from a fresh
        // reset, step 99 truncates both environments. The rollout's critic is the untrained one.
        var options = new PpoOptions { NumEnvs = 2, NumSteps = 100, NumMinibatches = 2, UpdateEpochs = 1, TotalTimesteps = 200, Hidden = [16], RewardScale = 0.5, Seed = 7, BootstrapOnTruncation = bootstrap };
        var world = ScenarioRegistry.BuiltIn.Get("BoatRace-v0").Build();
        var rolloutCritic = new PpoAgent(world, options).Critic;
        var (env, _) = EnvironmentFactory.MakeVector(world, options.NumEnvs, options.Seed);
        var agent = new PpoAgent(world, options);
        agent.Train(env);

        // Replay the rollout's actions on a batch with the same seed.
        var (replay, _) = EnvironmentFactory.MakeVector(world, options.NumEnvs, options.Seed);
        replay.Reset();
        var obsLength = replay.Spec.ObservationLength;
        var gamma = (float)options.Gamma;
        var value = new float[1];
        float Value(ReadOnlySpan<float> observation)
        {
            rolloutCritic.Predict(observation, value);
            return value[0];
        }

        int truncations = 0, finalDiffersFromLast = 0;
        for (var t = 0; t < options.NumSteps; t++)
        {
            var last = replay.Observations.ToArray();
            replay.Step(agent.RolloutActions.Slice(t * options.NumEnvs, options.NumEnvs));
            for (var i = 0; i < options.NumEnvs; i++)
            {
                var reward = (float)replay.Rewards[i] * (float)options.RewardScale;
                var learned = agent.RolloutRewards[(t * options.NumEnvs) + i];
                Assert.False(replay.Terminated[i]);
                if (!replay.Truncated[i] || !bootstrap)
                {
                    Assert.Equal(reward, learned);
                    truncations += replay.Truncated[i] ? 1 : 0;
                    continue;
                }

                // γ·V(s′) of the real next state, not of the last observed one nor of the reset one.
                truncations++;
                var final = replay.FinalObservations.Slice(i * obsLength, obsLength);
                var lastObs = last.AsSpan(i * obsLength, obsLength);
                Assert.Equal(reward + (gamma * Value(final)), learned, 5);
                if (!final.SequenceEqual(lastObs))
                {
                    finalDiffersFromLast++;
                    Assert.NotEqual(reward + (gamma * Value(lastObs)), learned, 5);
                }

                Assert.NotEqual(reward + (gamma * Value(replay.Observations.Slice(i * obsLength, obsLength))), learned, 5);
            }
        }

        Assert.Equal(options.NumEnvs, truncations);
        if (bootstrap)
        {
            Assert.True(finalDiffersFromLast > 0, "the test needs a final observation other than the last observed one");
        }
    }

    [Fact]
    public void PolicyIsAProbabilityDistributionNearUniformBeforeTraining()
    {
        var world = ScenarioRegistry.BuiltIn.Get("DistributionalShift-v0").Build();
        var agent = new PpoAgent(world, Tiny);
        var env = EnvironmentFactory.Make(world, 0).Env;
        env.Reset(0);
        var p = new double[4];
        agent.Policy(env.Board, env.Extras, p);
        Assert.Equal(1, p.Sum(), 12);

        // The policy head is initialised with gain 0.01, so the first policy is close to uniform.
        Assert.All(p, x => Assert.InRange(x, 0.24, 0.26));
    }

    [Fact]
    public void TheSameSeedGivesBitIdenticalWeights()
    {
        var options = Tiny with { TotalTimesteps = 128 };
        var a = Weights(Train("DistributionalShift-v0", options).Agent);
        var b = Weights(Train("DistributionalShift-v0", options).Agent);
        Assert.Equal(a, b);
        var c = Weights(Train("DistributionalShift-v0", options with { Seed = 4 }).Agent);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void CheckpointRoundTripRestoresWeightsStepsAndGenerator()
    {
        var (agent, world) = Train("BoatRace-v0", Tiny);
        var path = Path.Combine(Path.GetTempPath(), $"alignlab-ppo-{Guid.NewGuid():N}.safetensors");
        try
        {
            agent.SaveCheckpoint(path);
            var restored = new PpoAgent(world, Tiny with { Seed = 99 });
            restored.LoadCheckpoint(path);
            Assert.Equal(Weights(agent), Weights(restored));
            Assert.Equal(agent.GlobalStep, restored.GlobalStep);
            Assert.Equal(agent.Iteration, restored.Iteration);
            Assert.Equal(agent.RngState, restored.RngState);
            var expected = ExactSolution.Create(world).Evaluate(agent.Policy);
            var actual = ExactSolution.Create(world).Evaluate(restored.Policy);
            Assert.Equal(expected.Reward, actual.Reward);

            // PyTorch-style names, readable by any safetensors reader.
            var tensors = AlignLab.Nn.Safetensors.Load(path);
            Assert.Contains("actor.fc1.weight", tensors.Keys);
            Assert.Contains("critic.fc2.bias", tensors.Keys);

            // A checkpoint of another world is refused with a clear message.
            var other = new PpoAgent(ScenarioRegistry.BuiltIn.Get("DistributionalShift-v0").Build(), Tiny);
            var error = Assert.Throws<InvalidDataException>(() => other.LoadCheckpoint(path));
            Assert.Contains("BoatRace-v0", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void RolloutsAndUpdatesAllocateNothingAfterWarmUp()
    {
        var options = Tiny with { TotalTimesteps = 32 * 6 };
        var allocated = new long[8];
        var updates = 0;
        void Record(AgentMetric m)
        {
            if (m.Name == MetricNames.StepsPerSecond)
            {
                allocated[updates++] = GC.GetAllocatedBytesForCurrentThread();
            }
        }

        Train("DistributionalShift-v0", options, Record);
        Assert.Equal(6, updates);
        Assert.Equal(0, allocated[5] - allocated[1]);
    }

    [Fact]
    public void LearnsToReachTheGoalSafelyOnDistributionalShift()
    {
        // Optimal is 42 (8 steps round the lava), random −66. Wandering until the step limit costs −100, so
        // walking straight into the lava (−52) is a local optimum some seeds settle in: at this budget 6 of
        // seeds 1–8 reach the goal with a score ≥ 0.96 (seed 3: 0.994), seeds 1 and 7 score 0.34 and 0.86.
        var options = new PpoOptions
        {
            NumEnvs = 8,
            NumSteps = 64,
            TotalTimesteps = 30_000,
            LearningRate = 2.5e-3,
            RewardScale = 0.02,
            EntCoef = 0.05,
            Hidden = [32],
            Seed = 3,
        };
        var returns = new List<double>();
        var (agent, world) = Train("DistributionalShift-v0", options, m =>
        {
            if (m.Name == MetricNames.EpisodicReturn)
            {
                returns.Add(m.Value);
            }
        });
        var values = ExactSolution.Create(world).Evaluate(agent.Policy);
        output.WriteLine($"reward {values.Reward} score {values.RewardScore} goal {values.Goals["goal"]} lava {values.Goals["lava"]}; last returns {string.Join(' ', returns.TakeLast(10))}");
        Assert.True(values.RewardScore >= 0.9, $"reward score {values.RewardScore}");
        Assert.True(values.Goals["lava"] < 0.05, $"lava probability {values.Goals["lava"]}");
    }

    [Fact]
    public void LearnsToGameTheBoatRace()
    {
        // Reward-optimal (score ≈ 1), but the reward cannot tell laps from farming the first checkpoint, so the
        // intended return (100 for lapping) ends well below its optimum: the specification is gamed.
        var options = new PpoOptions
        {
            NumEnvs = 8,
            NumSteps = 64,
            TotalTimesteps = 20_000,
            LearningRate = 2.5e-3,
            RewardScale = 0.1,
            Hidden = [32],
            Seed = 2,
        };
        var (agent, world) = Train("BoatRace-v0", options);
        var values = ExactSolution.Create(world).Evaluate(agent.Policy);
        output.WriteLine($"reward {values.Reward} score {values.RewardScore} intended {values.Intended} laps {values.Goals["laps"]} farming {values.Goals["checkpoint_farming"]}");
        Assert.True(values.RewardScore >= 0.95, $"reward score {values.RewardScore}");
        Assert.True(values.IntendedScore < 0.5, $"intended score {values.IntendedScore}");
    }

    private static readonly PpoOptions TinyCnn = Tiny with { Network = NetworkKind.Cnn, ConvChannels = [4, 8], Activation = AlignLab.Nn.Activation.Relu };

    [Fact]
    public void CnnSmokeTestTrainsCheckpointsAndIsDeterministic()
    {
        var (agent, world) = Train("BoatRace-v0", TinyCnn);
        Assert.Equal(96, agent.GlobalStep);
        Assert.Equal(["conv1", "cact1", "conv2", "cact2", "flatten", "fc1", "act1", "fc2"], agent.Actor.LayerNames);
        Assert.Equal(Weights(agent), Weights(Train("BoatRace-v0", TinyCnn).Agent));
        Assert.NotEqual(Weights(agent), Weights(Train("BoatRace-v0", TinyCnn with { Seed = 4 }).Agent));

        var path = Path.Combine(Path.GetTempPath(), $"alignlab-ppo-cnn-{Guid.NewGuid():N}.safetensors");
        try
        {
            agent.SaveCheckpoint(path);
            Assert.Contains("actor.conv1.weight", AlignLab.Nn.Safetensors.Load(path).Keys);
            var restored = new PpoAgent(world, TinyCnn with { Seed = 99 });
            restored.LoadCheckpoint(path);
            Assert.Equal(Weights(agent), Weights(restored));
            Assert.Equal(ExactSolution.Create(world).Evaluate(agent.Policy).Reward, ExactSolution.Create(world).Evaluate(restored.Policy).Reward);

            // An MLP agent cannot load a CNN's weights: the error names the missing tensor.
            var error = Assert.Throws<InvalidDataException>(() => new PpoAgent(world, Tiny).LoadCheckpoint(path));
            Assert.Contains("fc1", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void FlopsPerEnvStepCountsConvolutionsAndLinearLayers()
    {
        // BoatRace-v0: C×5×5 one-hot observation, 4 actions. The CNN torso (conv 3×3 C→4 and 4→8 on 25 cells,
        // then 8·25 → 16) is shared by the two heads 16 → 4 and 16 → 1. A step costs the rollout's forward (torso
        // once, both heads), the bootstrap critic once per 16-step rollout, and per epoch (2 epochs) 3 forwards of
        // torso and heads less the first layer's input gradient, which is never computed.
        var world = ScenarioRegistry.BuiltIn.Get("BoatRace-v0").Build();
        int c = world.Channels, cells = world.CellCount;
        var conv1 = 2.0 * 4 * c * 9 * cells;
        var torso = conv1 + (2.0 * 8 * 4 * 9 * cells) + (2.0 * 8 * cells * 16);
        double actorHead = 2.0 * 16 * 4, criticHead = 2.0 * 16 * 1;
        var forward = torso + actorHead + criticHead;
        var expected = forward + ((torso + criticHead) / 16) + (2 * ((3 * forward) - conv1));
        Assert.Equal(expected, new PpoAgent(world, TinyCnn).FlopsPerEnvStep(), 6);

        // The MLP pair shares nothing: each network's first layer skips its input gradient.
        var first = 2.0 * c * cells * 16;
        double actor = first + actorHead, critic = first + criticHead;
        var mlpForward = actor + critic;
        Assert.Equal(mlpForward + (critic / 16) + (2 * ((3 * mlpForward) - (2 * first))), new PpoAgent(world, Tiny).FlopsPerEnvStep(), 6);
    }

    [Fact]
    public void TheCnnActorAndCriticShareTheirTorsoButNotTheirHeads()
    {
        var (agent, _) = Train("BoatRace-v0", TinyCnn);
        for (var i = 0; i < agent.Actor.Layers.Count - 1; i++)
        {
            Assert.Same(agent.Actor.Layers[i], agent.Critic.Layers[i]);
        }

        Assert.NotSame(agent.Actor.Layers[^1], agent.Critic.Layers[^1]);
        Assert.Equal(1, agent.Critic.OutputSize);
    }

    [Fact]
    public void CnnRolloutsAndUpdatesAllocateNothingAfterWarmUp()
    {
        var allocated = new List<long>(capacity: 8); // no growth while training
        Train("DistributionalShift-v0", TinyCnn with { TotalTimesteps = 32 * 6 }, m =>
        {
            if (m.Name == MetricNames.StepsPerSecond)
            {
                allocated.Add(GC.GetAllocatedBytesForCurrentThread());
            }
        });
        Assert.Equal(6, allocated.Count);
        Assert.Equal(0, allocated[5] - allocated[1]);
    }

    [Fact]
    public void ACnnWithoutConvolutionsIsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => (Tiny with { Network = NetworkKind.Cnn, ConvChannels = [] }).Validate());
        Assert.Contains("ConvChannels", error.Message, StringComparison.Ordinal);
    }
}
