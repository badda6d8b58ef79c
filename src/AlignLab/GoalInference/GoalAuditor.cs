using System.Globalization;
using AlignLab.Errors;
using AlignLab.Randomness;
using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.GoalInference;

/// <summary>Settings of a behavioural goal audit.</summary>
/// <param name="Distribution">The distribution the policy's episodes are sampled on.</param>
/// <param name="Episodes">Episodes sampled (on a generated distribution, each on a newly drawn level, solved exactly).</param>
/// <param name="Seed">Seed of the level draws, start states, actions and transitions.</param>
/// <param name="Discount">
/// γ in (0, 1] of the goals' action values. The scenarios are undiscounted, and with a long step
/// limit every action that still leaves a goal reachable has the same undiscounted optimal value,
/// so behaviour would barely tell goals apart; γ &lt; 1 makes a rational pursuer take short routes.
/// </param>
/// <param name="Set">Scenario parameters.</param>
/// <param name="Limits">Limits of the exact solver for each level (<see cref="SolverLimits.Default"/> when null).</param>
public sealed record AuditOptions(string Distribution = "deploy", int Episodes = 20, ulong Seed = 0, double Discount = 0.99, IReadOnlyDictionary<string, string>? Set = null, SolverLimits? Limits = null)
{
    /// <summary>The temperature grid the maximum-likelihood fit searches: 10^−4 … 10^2, four points a decade.</summary>
    public static IReadOnlyList<double> DefaultTemperatures { get; } = [.. Enumerable.Range(0, 25).Select(k => Math.Pow(10, -4 + (k / 4.0)))];

    /// <summary>The temperature grid (in the goals' reward units) searched by the maximum-likelihood fit; <see cref="DefaultTemperatures"/> when null.</summary>
    public IReadOnlyList<double>? Temperatures { get; init; }

    /// <summary>The lapse-rate grid searched by the maximum-likelihood fit: 0, 0.01, 0.03, 0.1, 0.2, 0.3, 0.5, 0.7.</summary>
    public static IReadOnlyList<double> DefaultLapses { get; } = [0, 0.01, 0.03, 0.1, 0.2, 0.3, 0.5, 0.7];

    /// <summary>
    /// The lapse rates ε searched by the fit, each in [0, 1]: with probability ε the modelled agent acts
    /// uniformly at random, so a few stuck or slipped steps do not force the fit to a high temperature
    /// for the whole episode set. <see cref="DefaultLapses"/> when null; [0] is the plain Boltzmann model.
    /// </summary>
    public IReadOnlyList<double>? Lapses { get; init; }

    /// <summary>
    /// When true, each episode gets its own temperature and lapse rate, marginalised over the grid with a uniform prior:
    /// P(e | g) = mean over (T, ε) of P(e | g, T, ε), and P(g | e_1..k) ∝ Π_i P(e_i | g). A policy that is competent on
    /// some levels and lost on others (stuck for a whole episode on an unfamiliar designed level) is then not forced
    /// to one high temperature that washes out the evidence of every other episode, as the shared maximum-likelihood
    /// fit (false, the default) is. The reported T and ε are then the most likely grid point of the last episode.
    /// </summary>
    public bool PerEpisodeRationality { get; init; }
}

/// <summary>The posterior after some episodes.</summary>
/// <param name="Episodes">Episodes seen (1 for the first).</param>
/// <param name="Posterior">P(goal | the episodes seen), per goal.</param>
/// <param name="Temperature">Each goal's maximum-likelihood temperature on the episodes seen.</param>
/// <param name="Lapse">Each goal's maximum-likelihood lapse rate on the episodes seen.</param>
public sealed record PosteriorStep(int Episodes, IReadOnlyDictionary<string, double> Posterior, IReadOnlyDictionary<string, double> Temperature, IReadOnlyDictionary<string, double> Lapse);

/// <summary>One audited episode.</summary>
/// <param name="Index">Episode number, from 0.</param>
/// <param name="Actions">The action letters taken.</param>
/// <param name="LogLikelihood">log P(episode | goal) at each goal's final fitted temperature and lapse rate.</param>
public sealed record AuditedEpisode(int Index, string Actions, IReadOnlyDictionary<string, double> LogLikelihood);

/// <summary>The goal a policy's behaviour reveals: the posterior over the candidate goals, episode by episode.</summary>
/// <param name="Id">Scenario id.</param>
/// <param name="Distribution">The distribution the episodes were sampled on.</param>
/// <param name="Goals">The candidate goals, in the scenario's order.</param>
/// <param name="Discount">γ of the goals' action values.</param>
/// <param name="Path">The posterior after each episode.</param>
/// <param name="Episodes">The episodes.</param>
public sealed record GoalAudit(string Id, string Distribution, IReadOnlyList<string> Goals, double Discount, IReadOnlyList<PosteriorStep> Path, IReadOnlyList<AuditedEpisode> Episodes)
{
    /// <summary>The goal with the highest final posterior (the first in the scenario's order among equals).</summary>
    public string Pursued => Goals.MaxBy(g => Path[^1].Posterior[g])!;

    /// <summary>The final posterior of <see cref="Pursued"/>.</summary>
    public double Posterior => Path[^1].Posterior[Pursued];

    /// <summary>The number of episodes after which the posterior of <see cref="Pursued"/> reached <paramref name="threshold"/> and stayed there; null when it never did.</summary>
    public int? EpisodesToReach(double threshold)
    {
        int? reached = null;
        foreach (var step in Path)
        {
            reached = step.Posterior[Pursued] >= threshold ? reached ?? step.Episodes : null;
        }

        return reached;
    }

    /// <summary>The answer in one line, e.g. "pursues `corner`, posterior 0.99 after 12 episodes".</summary>
    public string Summary => string.Create(CultureInfo.InvariantCulture, $"pursues `{Pursued}`, posterior {Posterior:0.00} after {Path.Count} episode{(Path.Count == 1 ? string.Empty : "s")}");
}

/// <summary>
/// Behavioural goal inference: a Bayesian posterior over a scenario's candidate goals from a
/// policy's episodes. Under goal g the policy is modelled as Boltzmann-rational,
/// π_g(a | s, t) = (1 − ε)·softmax_a(Q*_g,t(s,·)/T) + ε/A, with Q*_g,t the exact optimal action values of g
/// (discounted by γ, with the steps left at time t) on the episode's level, and a lapse rate ε (uniformly random
/// actions). The temperature T and the lapse rate ε are fitted per goal by maximum likelihood over a grid, on the
/// episodes seen so far (a profile likelihood: each goal is judged at its own best fit, so no goal is favoured by
/// the scale of its values). The prior is
/// uniform. Episodes are sampled on the exact model of each level (the MDP the environment steps),
/// so every step's state is known exactly.
/// </summary>
public static class GoalAuditor
{
    /// <summary>Samples <paramref name="policy"/>'s episodes on a distribution of <paramref name="scenario"/> and infers the goal it pursues.</summary>
    /// <exception cref="UserInputException">Fewer than two candidate goals, an unknown distribution, or bad options.</exception>
    public static GoalAudit Audit(ScenarioDefinition scenario, BoardPolicy policy, AuditOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(policy);
        options ??= new AuditOptions();
        var (temperatures, lapses) = Validate(scenario, options);
        var generated = scenario.GeneratedDistributions.ContainsKey(options.Distribution);
        if (!generated && !scenario.Distributions.ContainsKey(options.Distribution))
        {
            throw new UserInputException($"{scenario.Id} has no distribution '{options.Distribution}'{Suggest.DidYouMean(options.Distribution, scenario.DistributionNames)}; distributions: {string.Join(", ", scenario.DistributionNames)}.");
        }

        // One solved world per episode (a newly drawn level each), or one for a fixed distribution's pool.
        var solutions = generated
            ? [.. scenario.SampleLevels(options.Distribution, options.Episodes, options.Seed, options.Set).Select(level => ExactSolution.Create(scenario.Build(new BuildOptions(Distribution: options.Distribution, Set: options.Set) { FixedLevel = level }), options.Limits))]
            : new[] { ExactSolution.Create(scenario.Build(new BuildOptions(Distribution: options.Distribution, Set: options.Set)), options.Limits) };
        return Infer(scenario.Id, options.Distribution, solutions, generated ? e => e : _ => 0, policy, options, temperatures, lapses);
    }

    /// <summary>
    /// Samples one episode of <paramref name="policy"/> on each of <paramref name="levels"/> in turn (cycling through them
    /// when <see cref="AuditOptions.Episodes"/> is larger), each solved exactly under the rules of
    /// <see cref="AuditOptions.Distribution"/> (its step limit), and infers the goal it pursues: the audit of a designed test suite.
    /// </summary>
    /// <exception cref="UserInputException">No levels, fewer than two candidate goals, or bad options.</exception>
    public static GoalAudit AuditLevels(ScenarioDefinition scenario, BoardPolicy policy, IReadOnlyList<Grid.GridLevel> levels, AuditOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(levels);
        options ??= new AuditOptions();
        if (levels.Count == 0)
        {
            throw new UserInputException("auditing on given levels needs at least one level.");
        }

        var solutions = levels.Select(level => ExactSolution.Create(scenario.Build(new BuildOptions(Distribution: options.Distribution, Set: options.Set) { FixedLevel = level }), options.Limits)).ToList();
        return AuditSolved(scenario, solutions, policy, options);
    }

    /// <summary><see cref="AuditLevels"/> on levels already solved (episode e on level e mod count).</summary>
    internal static GoalAudit AuditSolved(ScenarioDefinition scenario, IReadOnlyList<ExactSolution> solutions, BoardPolicy policy, AuditOptions options)
    {
        var (temperatures, lapses) = Validate(scenario, options);
        return Infer(scenario.Id, options.Distribution, solutions, e => e % solutions.Count, policy, options, temperatures, lapses);
    }

    private static GoalAudit Infer(string id, string distribution, IReadOnlyList<ExactSolution> solutions, Func<int, int> levelOf, BoardPolicy policy, AuditOptions options, IReadOnlyList<double> temperatures, IReadOnlyList<double> lapses)
    {
        var goalNames = solutions[0].World.Goals.Select(g => g.Name).ToList();
        var rng = new Rng(options.Seed ^ 0xA0D1_7E95UL);
        var logLikelihood = new double[options.Episodes][][];
        var actions = new string[options.Episodes];
        var episodesOf = solutions.Select(_ => new List<(int, IReadOnlyList<ModelStep>)>()).ToArray();
        for (var e = 0; e < options.Episodes; e++)
        {
            var which = levelOf(e);
            var (steps, letters) = Sample(solutions[which], policy, ref rng);
            episodesOf[which].Add((e, steps));
            actions[e] = letters;
            logLikelihood[e] = [.. goalNames.Select(_ => new double[temperatures.Count * lapses.Count])];
        }

        for (var i = 0; i < solutions.Count; i++)
        {
            if (episodesOf[i].Count > 0)
            {
                BoltzmannLikelihood.Accumulate(solutions[i], solutions[i].World.Goals, episodesOf[i], options.Discount, temperatures, lapses, logLikelihood);
            }
        }

        var path = Posterior(goalNames, logLikelihood, temperatures, lapses, out var fitted, options.PerEpisodeRationality);
        var episodes = actions.Select((a, e) => new AuditedEpisode(e, a, goalNames.Select((g, gi) => (g, gi)).ToDictionary(x => x.g, x => logLikelihood[e][x.gi][fitted[x.gi]], StringComparer.Ordinal))).ToList();
        return new GoalAudit(id, distribution, goalNames, options.Discount, path, episodes);
    }

    /// <summary>
    /// The posterior after each episode from per-episode log-likelihoods [episode][goal][T index · lapses + ε index]:
    /// P(g | e_1..k) ∝ max_T,ε Π_{i ≤ k} P(e_i | g, T, ε), uniform prior. <paramref name="fitted"/> gives each
    /// goal's fitted grid index after the last episode.
    /// </summary>
    internal static List<PosteriorStep> Posterior(IReadOnlyList<string> goals, double[][][] logLikelihood, IReadOnlyList<double> temperatures, IReadOnlyList<double> lapses, out int[] fitted, bool perEpisode = false)
    {
        if (perEpisode)
        {
            return MarginalPosterior(goals, logLikelihood, temperatures, lapses, out fitted);
        }

        var grid = temperatures.Count * lapses.Count;
        var cumulative = goals.Select(_ => new double[grid]).ToArray();
        var best = new double[goals.Count];
        fitted = new int[goals.Count];
        var path = new List<PosteriorStep>(logLikelihood.Length);
        for (var e = 0; e < logLikelihood.Length; e++)
        {
            for (var g = 0; g < goals.Count; g++)
            {
                best[g] = double.NegativeInfinity;
                for (var k = 0; k < grid; k++)
                {
                    cumulative[g][k] += logLikelihood[e][g][k];
                    if (cumulative[g][k] > best[g])
                    {
                        best[g] = cumulative[g][k];
                        fitted[g] = k;
                    }
                }
            }

            var max = best.Max();
            var weights = best.Select(b => Math.Exp(b - max)).ToArray();
            var total = weights.Sum();
            var chosen = fitted;
            path.Add(new PosteriorStep(
                e + 1,
                goals.Select((g, i) => (g, i)).ToDictionary(x => x.g, x => weights[x.i] / total, StringComparer.Ordinal),
                goals.Select((g, i) => (g, i)).ToDictionary(x => x.g, x => temperatures[chosen[x.i] / lapses.Count], StringComparer.Ordinal),
                goals.Select((g, i) => (g, i)).ToDictionary(x => x.g, x => lapses[chosen[x.i] % lapses.Count], StringComparer.Ordinal)));
        }

        return path;
    }

    /// <summary>
    /// The posterior with each episode's (T, ε) marginalised over the grid (uniform prior):
    /// log P(e | g) = log mean_k exp(ℓ[e][g][k]); P(g | e_1..k) ∝ Π_i P(e_i | g), uniform prior over goals.
    /// <paramref name="fitted"/> gives each goal's most likely grid index on the last episode.
    /// </summary>
    private static List<PosteriorStep> MarginalPosterior(IReadOnlyList<string> goals, double[][][] logLikelihood, IReadOnlyList<double> temperatures, IReadOnlyList<double> lapses, out int[] fitted)
    {
        var grid = temperatures.Count * lapses.Count;
        var total = new double[goals.Count];
        fitted = new int[goals.Count];
        var path = new List<PosteriorStep>(logLikelihood.Length);
        for (var e = 0; e < logLikelihood.Length; e++)
        {
            for (var g = 0; g < goals.Count; g++)
            {
                var row = logLikelihood[e][g];
                var best = 0;
                for (var k = 1; k < grid; k++)
                {
                    best = row[k] > row[best] ? k : best;
                }

                var sum = 0.0;
                for (var k = 0; k < grid; k++)
                {
                    sum += Math.Exp(row[k] - row[best]);
                }

                total[g] += row[best] + Math.Log(sum / grid);
                fitted[g] = best;
            }

            var max = total.Max();
            var weights = total.Select(b => Math.Exp(b - max)).ToArray();
            var norm = weights.Sum();
            var chosen = fitted;
            path.Add(new PosteriorStep(
                e + 1,
                goals.Select((g, i) => (g, i)).ToDictionary(x => x.g, x => weights[x.i] / norm, StringComparer.Ordinal),
                goals.Select((g, i) => (g, i)).ToDictionary(x => x.g, x => temperatures[chosen[x.i] / lapses.Count], StringComparer.Ordinal),
                goals.Select((g, i) => (g, i)).ToDictionary(x => x.g, x => lapses[chosen[x.i] % lapses.Count], StringComparer.Ordinal)));
        }

        return path;
    }

    /// <summary>One episode of the policy on a solved world: start state drawn from the model's initial distribution, actions and transitions sampled.</summary>
    private static (List<ModelStep> Steps, string Actions) Sample(ExactSolution solution, BoardPolicy policy, ref Rng rng)
    {
        var model = solution.Model;
        var world = solution.World;
        var board = new byte[world.CellCount];
        var extras = new double[world.ExtraNames.Count];
        var probabilities = new double[model.ActionCount];
        var u = rng.NextDouble();
        var state = model.Initial[^1].State;
        foreach (var (candidate, p) in model.Initial)
        {
            u -= p;
            if (u < 0)
            {
                state = candidate;
                break;
            }
        }

        var steps = new List<ModelStep>();
        var letters = new System.Text.StringBuilder();
        for (var t = 0; t < model.Horizon && state >= 0; t++)
        {
            model.RenderBoard(state, board);
            model.ObserveExtras(state, extras);
            probabilities.AsSpan().Clear();
            policy(board, extras, probabilities);
            var sum = 0.0;
            foreach (var p in probabilities)
            {
                sum += p;
            }

            if (Math.Abs(sum - 1) > 1e-6 || probabilities.Any(p => !(p >= 0)))
            {
                throw new ArgumentException($"The policy's probabilities must be non-negative and sum to 1, not {sum}.", nameof(policy));
            }

            var r = rng.NextDouble();
            var action = probabilities.Length - 1;
            for (var a = 0; a < probabilities.Length; a++)
            {
                r -= probabilities[a];
                if (r < 0)
                {
                    action = a;
                    break;
                }
            }

            if (probabilities[action] <= 0)
            {
                // Rounding left r past the last positive probability: take the last action the policy allows.
                action = Array.FindLastIndex(probabilities, p => p > 0);
            }

            steps.Add(new ModelStep(t, state, action));
            letters.Append(world.ActionLetters[action]);
            state = model.SampleNext(state, action, ref rng);
        }

        return (steps, letters.ToString());
    }

    private static (IReadOnlyList<double> Temperatures, IReadOnlyList<double> Lapses) Validate(ScenarioDefinition scenario, AuditOptions options)
    {
        if (options.Episodes < 1)
        {
            throw new UserInputException($"--episodes must be at least 1, not {options.Episodes}.");
        }

        if (!(options.Discount is > 0 and <= 1))
        {
            throw new UserInputException($"--discount must be in (0, 1], not {options.Discount.ToString(CultureInfo.InvariantCulture)}.");
        }

        var temperatures = options.Temperatures ?? AuditOptions.DefaultTemperatures;
        if (temperatures.Count == 0 || temperatures.Any(t => !(t > 0) || double.IsInfinity(t)))
        {
            throw new UserInputException("the temperature grid needs at least one temperature, each positive and finite.");
        }

        var lapses = options.Lapses ?? AuditOptions.DefaultLapses;
        if (lapses.Count == 0 || lapses.Any(l => !(l is >= 0 and <= 1)))
        {
            throw new UserInputException("the lapse-rate grid needs at least one rate, each in [0, 1].");
        }

        if (scenario.GoalEntries.Count < 2)
        {
            throw new UserInputException($"{scenario.Id} has {scenario.GoalEntries.Count} candidate goal{(scenario.GoalEntries.Count == 1 ? string.Empty : "s")}; goal inference needs at least two (its 'goals:' block).");
        }

        return (temperatures, lapses);
    }
}
