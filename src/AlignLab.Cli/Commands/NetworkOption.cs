using System.CommandLine;
using AlignLab.Agents;
using AlignLab.Experiments;
using AlignLab.Nn;

namespace AlignLab.Cli.Commands;

/// <summary>The <c>--network mlp|cnn</c> option of the commands that train neural agents.</summary>
internal static class NetworkOption
{
    private static readonly string[] Names = ["mlp", "cnn"];

    /// <summary>Creates the option (default mlp).</summary>
    public static Option<string> Create() => new("--network")
    {
        Description = "Network of ppo and dqn: mlp (on the flattened one-hot observation) or cnn (3×3 convolutions on the one-hot channels with ReLU, then an MLP head; ppo: 16, 16 channels and 64 units shared by actor and critic).",
        DefaultValueFactory = _ => "mlp",
    };

    /// <summary>Sets the network of <paramref name="spec"/>'s neural agent; a tabular agent accepts only the default.</summary>
    public static ExperimentSpec Apply(ExperimentSpec spec, string network)
    {
        var kind = network switch
        {
            "mlp" => NetworkKind.Mlp,
            "cnn" => NetworkKind.Cnn,
            _ => throw new UsageException($"unknown network '{network}'{AlignLab.Scenarios.Suggest.DidYouMean(network, Names)}; networks: mlp, cnn."),
        };
        if (kind == NetworkKind.Mlp)
        {
            return spec;
        }

        return spec.Agent switch
        {
            "ppo" => spec with { Ppo = spec.Ppo is { } ppo ? ppo with { Network = kind, Activation = Activation.Relu } : Experiment.DefaultCnnPpo },
            "dqn" => spec with { Dqn = (spec.Dqn ?? new DqnOptions()) with { Network = kind } },
            _ => throw new UsageException($"--network {network} applies to the neural agents (ppo, dqn), not to '{spec.Agent}'."),
        };
    }
}
