using AlignLab.Grid;
using AlignLab.Randomness;
using AlignLab.Scenarios;

namespace AlignLab.Preferences;

/// <summary>
/// The noise model of a synthetic preference labeller.
/// </summary>
/// <param name="Temperature">
/// Bradley–Terry temperature T in P(1 ≻ 2) = σ((R₁ − R₂)/T); 0 always prefers the higher return
/// (a tie is a coin flip). Default 1, as imitation's <c>SyntheticGatherer</c>. Returns are
/// undiscounted sums in the scenario's own units, so the temperature is in those units too.
/// </param>
/// <param name="Epsilon">
/// The probability of answering uniformly at random instead: Christiano et al. 2017 (§2.2.3)
/// assume a 10% chance that the human answers uniformly at random. Default 0.1. (imitation's
/// <c>SyntheticGatherer</c> has no such term; it samples from the Bradley–Terry probability.)
/// </param>
public sealed record BradleyTerryOptions(double Temperature = 1.0, double Epsilon = 0.1)
{
    /// <summary>Noiseless: always the higher return, never a random answer.</summary>
    public static BradleyTerryOptions Noiseless { get; } = new(0, 0);

    /// <summary>Checks the values.</summary>
    /// <exception cref="Errors.UserInputException">A negative or non-finite temperature, or ε outside [0, 1].</exception>
    public void Validate()
    {
        if (!(Temperature >= 0) || double.IsInfinity(Temperature))
        {
            throw new Errors.UserInputException($"the labeller temperature must be a finite number ≥ 0, not {Temperature}.");
        }

        if (!(Epsilon is >= 0 and <= 1))
        {
            throw new Errors.UserInputException($"the labeller error rate ε must be in [0, 1], not {Epsilon}.");
        }
    }
}

/// <summary>
/// A synthetic labeller: Bradley–Terry over a return of each segment,
/// P(1 ≻ 2) = (1 − ε)·σ((R₁ − R₂)/T) + ε/2. The <c>intended</c> labeller uses the hidden
/// intended return (a synthetic human who knows what we want); the <c>observed</c> labeller uses
/// the scenario's visible proxy computed from the rendered boards only (the partially observing
/// evaluator of Lang et al. 2024), so it is fooled by whatever fools the board.
/// </summary>
public sealed class BradleyTerryLabeller : IPreferenceLabeller
{
    private readonly Func<Segment, double> _return;

    private BradleyTerryLabeller(string name, Func<Segment, double> segmentReturn, BradleyTerryOptions options)
    {
        options.Validate();
        Name = name;
        _return = segmentReturn;
        Options = options;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The noise model.</summary>
    public BradleyTerryOptions Options { get; }

    /// <summary>The <c>intended</c> labeller: Bradley–Terry over the segments' hidden intended returns.</summary>
    public static BradleyTerryLabeller Intended(BradleyTerryOptions? options = null) =>
        new("intended", s => s.Hidden.IntendedReturn, options ?? new BradleyTerryOptions());

    /// <summary>The <c>observed</c> labeller over a given visible proxy.</summary>
    public static BradleyTerryLabeller Observed(FeatureRule proxy, BradleyTerryOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        return new("observed", s => proxy.Evaluate(s), options ?? new BradleyTerryOptions());
    }

    /// <summary>The <c>observed</c> labeller over the scenario's <c>observed:</c> proxy, checked against <paramref name="world"/>.</summary>
    /// <exception cref="ScenarioException">The scenario defines no visible proxy.</exception>
    public static BradleyTerryLabeller Observed(ScenarioDefinition scenario, GridWorld world, BradleyTerryOptions? options = null) =>
        Observed(ObservedProxy(scenario, world), options);

    /// <summary>The scenario's visible proxy of its intended objective (its <c>observed:</c> block).</summary>
    /// <exception cref="ScenarioException">The scenario defines none.</exception>
    public static FeatureRule ObservedProxy(ScenarioDefinition scenario, GridWorld world)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(world);
        return scenario.ObservedTerms.Count == 0
            ? throw new ScenarioException(scenario.Id, 0, 0, "the scenario has no 'observed:' block, so the observed labeller has nothing to judge by; add one (see scenarios/README.md).")
            : FeatureTermReader.Resolve(scenario.ObservedTerms, world);
    }

    /// <summary>The return this labeller judges a segment by.</summary>
    public double Return(in Segment segment) => _return(segment);

    /// <summary>The probability that the first of two segments with these returns is preferred, noise included.</summary>
    public double ProbabilityFirst(double firstReturn, double secondReturn) =>
        ((1 - Options.Epsilon) * Sigmoid(firstReturn - secondReturn, Options.Temperature)) + (Options.Epsilon / 2);

    /// <inheritdoc />
    public PreferenceLabel Compare(in Segment first, in Segment second, ref Rng rng)
    {
        var p = ProbabilityFirst(_return(first), _return(second));
        return new PreferenceLabel(rng.NextDouble() < p ? 0 : 1, p, -1);
    }

    /// <summary>σ(d/T), numerically stable; the step function (½ at 0) when T = 0.</summary>
    internal static double Sigmoid(double difference, double temperature)
    {
        if (temperature == 0 || difference == 0)
        {
            return difference > 0 ? 1 : difference < 0 ? 0 : 0.5;
        }

        var x = difference / temperature;
        return x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
    }
}
