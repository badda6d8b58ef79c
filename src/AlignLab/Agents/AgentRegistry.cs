using System.Text.Json.Nodes;
using AlignLab.Errors;
using AlignLab.Nn;
using AlignLab.Scenarios;

namespace AlignLab.Agents;

/// <summary>
/// Every agent AlignLab can train, by name. Adding an agent is one file (the agent, its options record and its
/// <see cref="AgentDefinition"/>) plus one line in <see cref="All"/>; nothing else switches on agent names.
/// </summary>
public static class AgentRegistry
{
    /// <summary>The registered agents, in the order <c>alignlab train --help</c> lists them.</summary>
    public static IReadOnlyList<AgentDefinition> All { get; } =
    [
        TabularAgent.QLearningDefinition,
        TabularAgent.SarsaDefinition,
        DqnAgent.Definition,
        PpoAgent.Definition,
        RandomAgent.Definition,
    ];

    /// <summary>The registered names.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(a => a.Name)];

    /// <summary>The agent called <paramref name="name"/>.</summary>
    /// <exception cref="UserInputException">No such agent (with "did you mean").</exception>
    public static AgentDefinition Get(string name) =>
        All.FirstOrDefault(a => a.Name == name)
        ?? throw new UserInputException($"unknown agent '{name}'{Suggest.DidYouMean(name, Names)}; agents: {string.Join(", ", Names)}.");

    /// <summary>
    /// Which agent wrote a checkpoint, and with which options (its <c>agent</c> and <c>options</c> metadata), so
    /// that an agent the checkpoint fits can be made and <see cref="IAgent.LoadCheckpoint"/> can restore it.
    /// </summary>
    /// <param name="checkpoint">The checkpoint; read to its end.</param>
    /// <param name="source">Where it came from, for messages.</param>
    /// <exception cref="InvalidDataException">Not an AlignLab checkpoint.</exception>
    public static (AgentDefinition Agent, object Options) ReadCheckpointHeader(Stream checkpoint, string source)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        Safetensors.Load(checkpoint, metadata);
        var name = metadata.TryGetValue("agent", out var agent) ? agent : throw new InvalidDataException($"{source}: not an AlignLab agent checkpoint (no 'agent' in its metadata).");
        var definition = All.FirstOrDefault(a => a.Name == name) ?? throw new InvalidDataException($"{source}: written by an agent this AlignLab does not know ('{name}').");
        var options = metadata.TryGetValue("options", out var json) ? json : throw new InvalidDataException($"{source}: the checkpoint's metadata has no 'options'.");
        try
        {
            return (definition, definition.FromJson(JsonNode.Parse(json) ?? throw new InvalidDataException($"{source}: empty options.")));
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"{source}: the checkpoint's options are not JSON: {e.Message}", e);
        }
    }
}
