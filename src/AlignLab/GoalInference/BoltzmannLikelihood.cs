using AlignLab.Solve;

namespace AlignLab.GoalInference;

/// <summary>One step of an episode sampled on an exact model: the time, the model's state and the action taken.</summary>
/// <param name="Time">Steps taken before this one (0 for the first).</param>
/// <param name="State">The model's state the action was chosen in.</param>
/// <param name="Action">The action's index.</param>
internal readonly record struct ModelStep(int Time, int State, int Action);

/// <summary>
/// Log-likelihoods of episodes under Boltzmann-rational pursuit of each goal, exactly on one
/// solved world: π_g,T,ε(a | s, t) = (1 − ε)·exp(Q_g,t(s,a)/T) / Σ_b exp(Q_g,t(s,b)/T) + ε/A, with Q_g,t the
/// optimal action values of goal g with H − t steps left, discounted by γ
/// (Q_t = r + γ·E[V_{t+1}], V_t = max_a Q_t, V_H = 0), computed by one backward sweep per goal
/// over the model. The episodes' steps are scored as the sweep passes their time, so no table of
/// values per time is kept.
/// </summary>
internal static class BoltzmannLikelihood
{
    /// <summary>
    /// Adds, for every episode, goal, temperature T and lapse rate ε, Σ_t log π_g,T,ε(a_t | s_t, t) to
    /// <paramref name="logLikelihood"/>[episode][goal][T index · lapses + ε index].
    /// </summary>
    /// <param name="solution">The solved world the episodes were sampled on.</param>
    /// <param name="goals">The candidate goals (the world's own goal objectives).</param>
    /// <param name="episodes">The episodes' steps, with their index into <paramref name="logLikelihood"/>.</param>
    /// <param name="discount">γ in (0, 1].</param>
    /// <param name="temperatures">The temperature grid, every value positive.</param>
    /// <param name="lapses">The lapse-rate grid, every value in [0, 1].</param>
    /// <param name="logLikelihood">Accumulated log-likelihoods, [episode][goal][T index · lapses + ε index].</param>
    public static void Accumulate(ExactSolution solution, IReadOnlyList<Objectives.Objective> goals, IReadOnlyList<(int Index, IReadOnlyList<ModelStep> Steps)> episodes, double discount, IReadOnlyList<double> temperatures, IReadOnlyList<double> lapses, double[][][] logLikelihood)
    {
        var model = solution.Model;
        var s = model.StateCount;
        var a = model.ActionCount;
        var horizon = model.Horizon;

        // The steps by time, so the backward sweep scores each when it holds that time's values.
        var byTime = new List<(int Episode, int State, int Action)>[horizon];
        foreach (var (index, steps) in episodes)
        {
            foreach (var step in steps)
            {
                (byTime[step.Time] ??= []).Add((index, step.State, step.Action));
            }
        }

        var v = new double[s];
        var scaled = new double[s];
        var q = new double[s * a];
        var inverse = temperatures.Select(t => 1 / t).ToArray();
        for (var g = 0; g < goals.Count; g++)
        {
            var backup = solution.BackupOf(goals[g]);
            Array.Clear(v);
            for (var t = horizon - 1; t >= 0; t--)
            {
                for (var state = 0; state < s; state++)
                {
                    scaled[state] = discount * v[state];
                }

                backup(scaled, q);
                if (byTime[t] is { } steps)
                {
                    foreach (var (episode, state, action) in steps)
                    {
                        var row = q.AsSpan(state * a, a);
                        var totals = logLikelihood[episode][g];
                        for (var k = 0; k < inverse.Length; k++)
                        {
                            var logP = LogSoftmax(row, action, inverse[k]);
                            var p = Math.Exp(logP);
                            for (var l = 0; l < lapses.Count; l++)
                            {
                                var lapse = lapses[l];
                                totals[(k * lapses.Count) + l] += lapse == 0 ? logP : Math.Log(((1 - lapse) * p) + (lapse / a));
                            }
                        }
                    }
                }

                for (var state = 0; state < s; state++)
                {
                    var row = q.AsSpan(state * a, a);
                    var best = row[0];
                    for (var action = 1; action < a; action++)
                    {
                        best = Math.Max(best, row[action]);
                    }

                    v[state] = best;
                }
            }
        }
    }

    /// <summary>log of exp(q[action]·β) / Σ_b exp(q[b]·β), computed stably (shifted by the maximum).</summary>
    internal static double LogSoftmax(ReadOnlySpan<double> q, int action, double beta)
    {
        var max = q[0];
        for (var b = 1; b < q.Length; b++)
        {
            max = Math.Max(max, q[b]);
        }

        var sum = 0.0;
        for (var b = 0; b < q.Length; b++)
        {
            sum += Math.Exp((q[b] - max) * beta);
        }

        return ((q[action] - max) * beta) - Math.Log(sum);
    }
}
