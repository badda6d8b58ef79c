using AlignLab.Errors;
using AlignLab.Grid;
using AlignLab.Randomness;
using AlignLab.Scenarios;

namespace AlignLab.Curricula;

/// <summary>
/// DR with α: a level distribution that draws from the scenario's shift distribution (the one that tells the goals
/// apart, <c>deploy</c> by default) with probability α and from <c>train</c> otherwise. One knob for every scenario,
/// where CheeseInTheCorner's <c>corner_size</c> and CoinAtTheEnd's <c>coin_random_fraction</c> were each their own.
/// </summary>
public sealed class LevelMixture
{
    private readonly LevelGenerator _train;
    private readonly LevelGenerator _shift;

    /// <summary>The mixture of <paramref name="scenario"/>'s <c>train</c> and <paramref name="shiftDistribution"/> generators (parameters from <paramref name="set"/>).</summary>
    /// <exception cref="UserInputException">Either distribution is not generated, or α is outside [0, 1].</exception>
    public LevelMixture(ScenarioDefinition scenario, double alpha, string shiftDistribution = "deploy", IReadOnlyDictionary<string, string>? set = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        if (!(alpha is >= 0 and <= 1))
        {
            throw new UserInputException($"α must be in [0, 1], not {alpha.ToString(System.Globalization.CultureInfo.InvariantCulture)}.");
        }

        _train = Generator(scenario, "train", set);
        _shift = Generator(scenario, shiftDistribution, set);
        if (_train.Height != _shift.Height || _train.Width != _shift.Width)
        {
            throw new UserInputException($"{scenario.Id}: the train and {shiftDistribution} distributions draw maps of different sizes.");
        }

        Alpha = alpha;
    }

    /// <summary>The probability of a shift-distribution level.</summary>
    public double Alpha { get; }

    /// <summary>Draws one level: one uniform number decides the distribution (drawn also when α is 0 or 1, so the stream's shape never depends on α), then that generator draws the map.</summary>
    public GridLevel Sample(ref Rng rng) => Sample(ref rng, out _);

    /// <summary>Draws one level as <see cref="Sample(ref Rng)"/> does (the same random numbers), saying whether it came from the shift distribution.</summary>
    internal GridLevel Sample(ref Rng rng, out bool shifted)
    {
        shifted = rng.NextDouble() < Alpha;
        return shifted ? _shift.Sample(ref rng) : _train.Sample(ref rng);
    }

    /// <summary>The generator of a generated distribution, or a one-line error naming what curricula need.</summary>
    internal static LevelGenerator Generator(ScenarioDefinition scenario, string distribution, IReadOnlyDictionary<string, string>? set)
    {
        if (!scenario.GeneratedDistributions.ContainsKey(distribution))
        {
            var what = scenario.DistributionNames.Contains(distribution) ? "lists fixed levels" : "does not exist";
            throw new UserInputException($"{scenario.Id}: curricula need a generated '{distribution}' distribution, and it {what}; use a scenario whose {(distribution == "train" ? "train distribution is a generator" : $"train and {distribution} distributions are generators")} (CheeseInTheCorner-v0, CoinAtTheEnd-v0, ...).");
        }

        return scenario.Build(new BuildOptions(Distribution: distribution, Set: set)).Generator!;
    }
}
