using AlignLab.Errors;
using AlignLab.Grid;
using AlignLab.Preferences;
using AlignLab.Scenarios;

namespace AlignLab.Rlhf;

/// <summary>Makes a labeller from its command-line name: <c>intended</c>, <c>observed</c>, <c>constitution</c> or <c>constitution:FILE</c>.</summary>
public static class Labellers
{
    /// <summary>The labeller names, as the command line writes them.</summary>
    public static IReadOnlyList<string> Names { get; } = ["intended", "observed", "constitution"];

    /// <summary>
    /// The labeller <paramref name="spec"/> names, for <paramref name="world"/> of <paramref name="scenario"/>: the synthetic
    /// human (<c>intended</c>), the partially observing evaluator (<c>observed</c>, the scenario's <c>observed:</c>
    /// proxy), or AI feedback from principles (<c>constitution</c>: the shipped constitution of the scenario;
    /// <c>constitution:FILE</c>: a YAML file, its errors located), whose labels carry the soft probability
    /// σ(D/T) at the noise model's temperature T.
    /// </summary>
    /// <exception cref="UserInputException">An unknown name (with a suggestion), or a missing or malformed constitution.</exception>
    public static IPreferenceLabeller Create(string spec, ScenarioDefinition scenario, GridWorld world, BradleyTerryOptions? noise = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(world);
        var colon = spec.IndexOf(':', StringComparison.Ordinal);
        var name = colon < 0 ? spec : spec[..colon];
        var file = colon < 0 ? null : spec[(colon + 1)..];
        if (file is not null && name != "constitution")
        {
            throw new UserInputException($"labeller '{spec}': only the constitution labeller takes a file (constitution:FILE).");
        }

        return name switch
        {
            "intended" => BradleyTerryLabeller.Intended(noise),
            "observed" => BradleyTerryLabeller.Observed(scenario, world, noise),
            "constitution" when string.IsNullOrWhiteSpace(file) => new ConstitutionLabeller(Constitution.Shipped(world), (noise ?? new BradleyTerryOptions()).Temperature),
            "constitution" => new ConstitutionLabeller(Constitution.Load(file!, world), (noise ?? new BradleyTerryOptions()).Temperature),
            _ => throw new UserInputException($"unknown labeller '{name}'{Suggest.DidYouMean(name, Names)}; labellers: intended, observed, constitution[:FILE]."),
        };
    }
}
