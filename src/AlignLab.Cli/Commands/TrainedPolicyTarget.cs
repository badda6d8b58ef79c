using System.Globalization;
using AlignLab.Agents;
using AlignLab.Runs;
using AlignLab.Scenarios;

namespace AlignLab.Cli.Commands;

/// <summary>
/// A trained policy named on the command line, as <c>diagnose</c> and <c>audit</c> take it: a run id in the store
/// (which knows its scenario and parameters), or a checkpoint file with <c>--scenario ID</c> and <c>--set</c>; the
/// agent is rebuilt and its latest weights loaded.
/// </summary>
/// <param name="ScenarioId">The scenario as the run or --scenario named it (an id or a file).</param>
/// <param name="Scenario">The scenario the policy acts in.</param>
/// <param name="Parameters">The scenario parameters it was trained with.</param>
/// <param name="Agent">The agent, its checkpoint loaded.</param>
/// <param name="Label">How messages name it: "run N" or the file.</param>
internal sealed record TrainedPolicyTarget(string ScenarioId, ScenarioDefinition Scenario, IReadOnlyDictionary<string, string>? Parameters, IAgent Agent, string Label)
{
    /// <summary>Loads <paramref name="value"/> (a run id or a checkpoint file).</summary>
    /// <param name="value">The command's target argument.</param>
    /// <param name="scenarioId">The <c>--scenario</c> value, or null when not given.</param>
    /// <param name="set">The <c>--set</c> pairs, or null when not given.</param>
    /// <param name="store">The <c>--store</c> path.</param>
    /// <param name="verb">What the command does, for messages ("diagnosing", "auditing").</param>
    /// <exception cref="UsageException">Contradictory options, no such file, or a checkpoint that does not fit.</exception>
    public static TrainedPolicyTarget Load(string value, string? scenarioId, string[]? set, string store, string verb)
    {
        string? scenarioText = null;
        IReadOnlyDictionary<string, string>? parameters;
        AgentDefinition definition;
        object options;
        Stream checkpoint;
        var label = value;
        if (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var run))
        {
            if (scenarioId is not null || set is not null)
            {
                throw new UsageException($"run {run} knows its scenario and parameters; --scenario and --set apply to a checkpoint file.");
            }

            using var runs = RunStore.OpenReadOnly(store);
            var info = runs.GetRun(run);
            scenarioId = info.Config.ScenarioId;
            scenarioText = info.Config.ScenarioText;
            parameters = info.Config.Parameters;
            definition = AgentRegistry.Get(info.Config.Agent);
            options = definition.FromJson(info.Config.HyperParameters ?? throw new UsageException($"run {run} has no stored hyper-parameters."));
            checkpoint = runs.OpenLatestCheckpoint(run)?.Weights ?? throw new UsageException($"run {run} has no checkpoint yet.");
            label = $"run {run}";
        }
        else
        {
            if (!File.Exists(value))
            {
                throw new UsageException($"'{value}' is neither a run id nor an existing checkpoint file.");
            }

            if (scenarioId is null)
            {
                throw new UsageException($"{verb} a checkpoint file needs --scenario ID.");
            }

            parameters = CliErrors.ParseSet(set);
            try
            {
                using var header = File.OpenRead(value);
                (definition, options) = AgentRegistry.ReadCheckpointHeader(header, value);
            }
            catch (InvalidDataException e)
            {
                throw new UsageException($"'{value}' is not a usable AlignLab checkpoint: {e.Message}");
            }

            checkpoint = File.OpenRead(value);
        }

        var scenario = ScenarioRegistry.BuiltIn.Get(scenarioId, scenarioText);
        var world = scenario.Build(new BuildOptions(Set: parameters));
        var agent = definition.Create(world, options);
        using (checkpoint)
        {
            try
            {
                agent.LoadCheckpoint(checkpoint);
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
            {
                throw new UsageException($"'{value}': the checkpoint does not fit {scenarioId} or is damaged: {e.Message}");
            }
        }

        return new TrainedPolicyTarget(scenarioId, scenario, parameters, agent, label);
    }
}
