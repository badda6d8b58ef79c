using System.CommandLine;
using AlignLab.Agents;

namespace AlignLab.Cli.Commands;

/// <summary>
/// The options that choose an agent's hyper-parameters, shared by <c>train</c> and <c>sweep</c>:
/// <c>--preset NAME</c> (a row of the agent's preset table), <c>--agent-option name=value</c> (repeatable; any
/// property of the agent's options record in kebab case, validated, with "did you mean"), and the aliases
/// <c>--network cnn|vin</c> (= the <c>cnn</c> preset of ppo and dqn, the <c>vin</c> preset of ppo), <c>--state cell</c> (= <c>state-key=agent-cell</c>
/// of q and sarsa) and <c>--ppo name=value</c> (= <c>--agent-option</c> for the ppo agent).
/// </summary>
internal sealed class AgentOptions
{
    private readonly Option<string?> _preset = new("--preset") { Description = "A named preset of the agent's options (see 'alignlab train --help' for the tables): e.g. ppo default, cnn, small; dqn default, cnn; q/sarsa default, cell." };
    private readonly Option<string[]> _overrides = new("--agent-option") { Description = "One of the agent's options, name=value in kebab case (e.g. learning-rate=1e-3, hidden=32, state-key=agent-cell); repeatable." };
    private readonly Option<string[]> _ppo = new("--ppo") { Description = "Alias of --agent-option for the ppo agent; repeatable." };
    private readonly Option<string?> _network = new("--network") { Description = "Alias: cnn selects the cnn preset of ppo and dqn (3×3 convolutions on the one-hot channels, then an MLP head); vin the vin preset of ppo (a value-iteration network that plans over a learned reward map); mlp the default." };
    private readonly Option<string?> _state = new("--state") { Description = "Alias for q and sarsa: board (the whole observed board, the default) or cell (the agent's cell only, an abstraction)." };

    /// <summary>Every option this set adds.</summary>
    public IEnumerable<Option> All => [_preset, _overrides, _ppo, _network, _state];

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_preset);
        command.Options.Add(_overrides);
        command.Options.Add(_ppo);
        command.Options.Add(_network);
        command.Options.Add(_state);
    }

    /// <summary>The agent's options the command line asks for (validated), or null for the default preset.</summary>
    /// <exception cref="Errors.UserInputException">A bad preset, name or value, or an alias that does not apply to the agent.</exception>
    public object? Resolve(ParseResult parse, AgentDefinition agent)
    {
        var preset = parse.GetValue(_preset);
        switch (parse.GetValue(_network))
        {
            case null or "mlp":
                break;
            case "cnn" or "vin" when agent.PresetNames.Contains(parse.GetValue(_network)!):
                var network = parse.GetValue(_network)!;
                if (preset is not null && preset != network)
                {
                    throw new UsageException($"--network {network} selects the {network} preset; it contradicts --preset {preset}.");
                }

                preset = network;
                break;
            case "cnn" or "vin":
                throw new UsageException($"--network {parse.GetValue(_network)} applies to {(parse.GetValue(_network) == "cnn" ? "the neural agents (ppo, dqn)" : "the ppo agent")}, not to '{agent.Name}'.");
            case var other:
                throw new UsageException($"unknown network '{other}'{Scenarios.Suggest.DidYouMean(other, ["mlp", "cnn", "vin"])}; networks: mlp, cnn, vin.");
        }

        var overrides = new List<string>();
        switch (parse.GetValue(_state))
        {
            case null:
                break;
            case "board" or "cell" when agent.OptionNames.Contains("state-key"):
                overrides.Add(parse.GetValue(_state) == "cell" ? "state-key=agent-cell" : "state-key=board");
                break;
            case "board" or "cell":
                throw new UsageException($"--state applies to the tabular agents (q, sarsa), not to '{agent.Name}'.");
            case var other:
                throw new UsageException($"--state must be board or cell, not '{other}'.");
        }

        var ppo = parse.GetValue(_ppo) ?? [];
        if (ppo.Length > 0 && agent.Name != PpoAgent.Definition.Name)
        {
            throw new UsageException($"--ppo applies to the ppo agent, not to '{agent.Name}'; use --agent-option.");
        }

        overrides.AddRange(ppo);
        overrides.AddRange(parse.GetValue(_overrides) ?? []);
        var options = preset is null ? null : agent.Preset(preset);
        return overrides.Count == 0 ? options : agent.Override(options, overrides);
    }

    /// <summary>The presets and option names of every agent, for <c>--help</c>.</summary>
    public static string Describe() => string.Join(
        Environment.NewLine,
        AgentRegistry.All.Select(a => $"  {a.Name}: {a.Summary} Presets: {string.Join("; ", a.PresetNames.Select(p => $"{p} ({a.DescribePreset(p)})"))}. Options: {string.Join(", ", a.OptionNames)}."));
}
