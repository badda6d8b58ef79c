using AlignLab.Agents;
using AlignLab.Errors;
using AlignLab.Nn;
using AlignLab.Runs;
using AlignLab.Scenarios;

namespace AlignLab.Interpretability;

/// <summary>
/// The policy network of a trained neural agent: PPO's actor (whose CNN torso the critic shares) or DQN's Q-network,
/// with the scenario it was trained on.
/// </summary>
public sealed class TrainedNetwork
{
    private TrainedNetwork(ScenarioDefinition scenario, IReadOnlyDictionary<string, string>? parameters, string agent, Sequential network, long? run)
    {
        Scenario = scenario;
        Parameters = parameters;
        Agent = agent;
        Network = network;
        Run = run;
    }

    /// <summary>The scenario the agent was trained on.</summary>
    public ScenarioDefinition Scenario { get; }

    /// <summary>The scenario parameters of the run (e.g. size=7); null for the defaults.</summary>
    public IReadOnlyDictionary<string, string>? Parameters { get; }

    /// <summary>The agent's name (ppo or dqn).</summary>
    public string Agent { get; }

    /// <summary>The network whose layers are recorded: the actor (PPO) or the Q-network (DQN).</summary>
    public Sequential Network { get; }

    /// <summary>The run id it was loaded from, or null.</summary>
    public long? Run { get; }

    /// <summary>The network of a PPO or DQN agent.</summary>
    /// <exception cref="UserInputException">The agent has no network (a tabular or random agent).</exception>
    public static TrainedNetwork FromAgent(ScenarioDefinition scenario, IReadOnlyDictionary<string, string>? parameters, IAgent agent, long? run = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(agent);
        var network = agent switch
        {
            PpoAgent ppo => ppo.Actor,
            DqnAgent dqn => dqn.QNetwork,
            _ => throw new UserInputException($"{(run is { } r ? $"run {r}" : "the agent")} is a '{agent.Name}' agent; activations and probes need a ppo or dqn network."),
        };
        return new TrainedNetwork(scenario, parameters, agent.Name, network, run);
    }

    /// <summary>Rebuilds run <paramref name="run"/>'s agent from its latest checkpoint in <paramref name="store"/>.</summary>
    /// <exception cref="UserInputException">The run is not a ppo or dqn run, or has no checkpoint.</exception>
    public static TrainedNetwork Load(RunStore store, long run)
    {
        ArgumentNullException.ThrowIfNull(store);
        var info = store.GetRun(run);
        var definition = AgentRegistry.Get(info.Config.Agent);
        if (definition.Name is not ("ppo" or "dqn"))
        {
            throw new UserInputException($"run {run} is a '{definition.Name}' run; activations and probes need a ppo or dqn network.");
        }

        var options = definition.FromJson(info.Config.HyperParameters ?? throw new UserInputException($"run {run} has no stored hyper-parameters."));
        var scenario = ScenarioRegistry.BuiltIn.Get(info.Config.ScenarioId, info.Config.ScenarioText);
        var world = scenario.Build(new BuildOptions(Set: info.Config.Parameters));
        var agent = definition.Create(world, options);
        var checkpoint = store.OpenLatestCheckpoint(run)?.Weights ?? throw new UserInputException($"run {run} has no checkpoint yet.");
        using (checkpoint)
        {
            try
            {
                agent.LoadCheckpoint(checkpoint);
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
            {
                throw new UserInputException($"run {run}: the checkpoint does not fit {scenario.Id} or is damaged: {e.Message}");
            }
        }

        return FromAgent(scenario, info.Config.Parameters, agent, run);
    }
}
