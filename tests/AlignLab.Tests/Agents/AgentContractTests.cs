using AlignLab.Agents;
using AlignLab.Errors;
using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.Tests.Agents;

/// <summary>The agent contract, checked for every agent in the registry with tiny budgets.</summary>
public sealed class AgentContractTests
{
    public static TheoryData<string> Agents() => [.. AgentRegistry.Names];

    [Theory]
    [MemberData(nameof(Agents))]
    public void TrainingInChunksEqualsOneCallBitForBit(string name)
    {
        var (definition, options, world) = Tiny(name);
        var straight = definition.Create(world, options);
        straight.Train(straight.TotalSteps);
        var chunked = definition.Create(world, options);
        foreach (var until in new[] { chunked.TotalSteps / 3, chunked.TotalSteps / 2, chunked.TotalSteps })
        {
            chunked.Train(until);
        }

        Assert.Equal(straight.TotalSteps, straight.Step);
        Assert.Equal(Checkpoint(straight), Checkpoint(chunked));
    }

    [Theory]
    [MemberData(nameof(Agents))]
    public void AnAgentRestoredFromACheckpointEndsExactlyLikeAnUninterruptedOne(string name)
    {
        var (definition, options, world) = Tiny(name);
        var straight = definition.Create(world, options);
        straight.Train(straight.TotalSteps);

        var first = definition.Create(world, options);
        first.Train(first.TotalSteps / 2);
        var saved = Checkpoint(first);
        var resumed = definition.Create(world, options);
        resumed.LoadCheckpoint(new MemoryStream(saved));
        Assert.Equal(first.Step, resumed.Step);
        Assert.Equal(first.GeneratorState(), resumed.GeneratorState());
        resumed.Train(resumed.TotalSteps);

        Assert.Equal(Checkpoint(straight), Checkpoint(resumed));
        var solution = ExactSolution.Create(world);
        Assert.Equal(solution.Evaluate(straight.Policy).Reward, solution.Evaluate(resumed.Policy).Reward);
    }

    [Theory]
    [MemberData(nameof(Agents))]
    public void ACheckpointNamesItsAgentAndOptions(string name)
    {
        var (definition, options, world) = Tiny(name);
        var agent = definition.Create(world, options);
        agent.Train(agent.TotalSteps / 4);
        var (read, readOptions) = AgentRegistry.ReadCheckpointHeader(new MemoryStream(Checkpoint(agent)), "test");
        Assert.Same(definition, read);
        Assert.Equal(definition.ToJson(options).ToJsonString(), definition.ToJson(readOptions).ToJsonString());
        Assert.Equal(name, agent.Name);
        Assert.Equal(32, agent.GeneratorState().Length);
    }

    [Theory]
    [MemberData(nameof(Agents))]
    public void EveryPresetConfiguresAndEveryOptionNameCanBeSet(string name)
    {
        var definition = AgentRegistry.Get(name);
        Assert.Equal("default", definition.PresetNames[0]);
        foreach (var preset in definition.PresetNames)
        {
            Assert.NotEmpty(definition.DescribePreset(preset));
            definition.Configure(definition.Preset(preset), 100_000, 3);
        }

        // Each option round-trips its default value through name=value.
        var defaults = definition.ToJson(definition.DefaultOptions);
        foreach (var option in definition.OptionNames)
        {
            var key = string.Concat(option.Split('-').Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
            var value = defaults[key];
            var text = value is null ? "none" : value.ToJsonString().Trim('"', '[', ']');
            if (value?.GetValueKind() == System.Text.Json.JsonValueKind.Number && definition.OptionsType.GetProperty(key)!.PropertyType.IsEnum)
            {
                text = Enum.GetName(definition.OptionsType.GetProperty(key)!.PropertyType, value.GetValue<int>())!;
            }

            var overridden = definition.Override(null, [$"{option}={text}"]);
            Assert.Equal(defaults.ToJsonString(), definition.ToJson(overridden).ToJsonString());
        }
    }

    [Fact]
    public void UnknownAgentsPresetsAndOptionsAreUserErrorsWithSuggestions()
    {
        Assert.Contains("did you mean 'sarsa'", Assert.Throws<UserInputException>(() => AgentRegistry.Get("sarsaa")).Message, StringComparison.Ordinal);
        Assert.Contains("did you mean 'cnn'", Assert.Throws<UserInputException>(() => PpoAgent.Definition.Preset("cn")).Message, StringComparison.Ordinal);
        Assert.Contains("did you mean 'learning-rate'", Assert.Throws<UserInputException>(() => DqnAgent.Definition.Override(null, ["learning-rat=1"])).Message, StringComparison.Ordinal);
        Assert.Contains("LearningRate", Assert.Throws<UserInputException>(() => TabularAgent.QLearningDefinition.Override(null, ["learning-rate=2"])).Message, StringComparison.Ordinal);
        Assert.Equal(AgentRegistry.Names.Count, AgentRegistry.Names.Distinct().Count());
    }

    [Fact]
    public void OverridesChangeOnlyWhatTheyNameAndLeaveTheInputAlone()
    {
        var small = (PpoOptions)PpoAgent.Definition.Preset("small");
        var changed = (PpoOptions)PpoAgent.Definition.Override(small, ["reward-scale=0.1", "conv-channels=4,8", "target-kl=0.02", "activation=relu"]);
        Assert.Equal(1.0, small.RewardScale);
        Assert.Equal(small with { RewardScale = 0.1, ConvChannels = changed.ConvChannels, TargetKl = 0.02, Activation = AlignLab.Nn.Activation.Relu }, changed);
        Assert.Equal([4, 8], changed.ConvChannels);
        var cell = (TabularOptions)TabularAgent.SarsaDefinition.Override(null, ["state-key=agent-cell"]);
        Assert.Equal(TabularStateKey.AgentCell, cell.StateKey);
        Assert.Equal(TabularAlgorithm.Sarsa, ((TabularOptions)TabularAgent.SarsaDefinition.Configure(cell, 10, 0)).Algorithm);
    }

    [Fact]
    public void TheRandomBaselineScoresExactlyZero()
    {
        var world = ScenarioRegistry.BuiltIn.Get("DistributionalShift-v0").Build();
        var agent = RandomAgent.Definition.Create(world, RandomAgent.Definition.Configure(null, 500, 1));
        var episodes = 0;
        agent.Train(agent.TotalSteps, m => episodes += m.Name == MetricNames.EpisodicReturn ? 1 : 0);
        Assert.Equal(500, agent.Step);
        Assert.True(episodes > 0);
        var values = ExactSolution.Create(world).Evaluate(agent.Policy);
        Assert.Equal(0, values.RewardScore, 12);
        Assert.Equal(0, values.IntendedScore, 12);
    }

    private static (AgentDefinition Definition, object Options, AlignLab.Grid.GridWorld World) Tiny(string name)
    {
        var definition = AgentRegistry.Get(name);
        string[] overrides = name switch
        {
            "ppo" => ["num-envs=2", "num-steps=16", "hidden=8", "num-minibatches=2", "update-epochs=2"],
            "dqn" => ["num-envs=2", "buffer-size=300", "learning-starts=100", "batch-size=16", "hidden=8", "target-network-frequency=50", "train-frequency=4"],
            _ => [],
        };
        var steps = name switch { "ppo" => 320, "dqn" => 600, _ => 3000 };
        var options = definition.Configure(definition.Override(null, overrides), steps, 7);
        return (definition, options, ScenarioRegistry.BuiltIn.Get("BoatRace-v0").Build());
    }

    private static byte[] Checkpoint(IAgent agent)
    {
        using var stream = new MemoryStream();
        agent.SaveCheckpoint(stream);
        return stream.ToArray();
    }
}
