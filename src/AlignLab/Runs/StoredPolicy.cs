using AlignLab.Agents;
using AlignLab.Errors;
using AlignLab.Grid;
using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.Runs;

/// <summary>The policy of a stored training run, rebuilt from its latest checkpoint, to act in another world of the same scenario.</summary>
public static class StoredPolicy
{
    /// <summary>
    /// The latest policy of training run <paramref name="runId"/> in <paramref name="store"/>, as an agent acting in
    /// <paramref name="world"/> (a world of <paramref name="scenario"/>, e.g. one of its levels).
    /// </summary>
    /// <exception cref="UserInputException">An RLHF run or another scenario's run, no checkpoint yet, or a checkpoint that does not fit the world.</exception>
    /// <exception cref="RunStoreException">No such run.</exception>
    public static BoardPolicy Load(RunStore store, long runId, ScenarioDefinition scenario, GridWorld world)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(world);
        var run = store.GetRun(runId);
        var config = run.Config;
        if (config.Agent == Rlhf.RlhfRecord.AgentName)
        {
            throw new UserInputException($"run {runId} is an RLHF run and has no policy; give a training run (`alignlab train`).");
        }

        var runScenario = ScenarioRegistry.BuiltIn.Get(config.ScenarioId, config.ScenarioText);
        if (runScenario.Id != scenario.Id)
        {
            throw new UserInputException($"run {runId} trained on {runScenario.Id}, not {scenario.Id}.");
        }

        var definition = AgentRegistry.Get(config.Agent);
        var options = definition.FromJson(config.HyperParameters ?? throw new UserInputException($"run {runId} has no stored hyper-parameters."));
        var agent = definition.Create(world, options);
        var checkpoint = store.OpenLatestCheckpoint(runId)?.Weights ?? throw new UserInputException($"run {runId} has no checkpoint yet.");
        using (checkpoint)
        {
            try
            {
                agent.LoadCheckpoint(checkpoint);
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
            {
                throw new UserInputException($"run {runId}'s checkpoint does not fit {world.Id} as built here (another level size or parameters?): {e.Message}", e);
            }
        }

        return agent.Policy;
    }
}
