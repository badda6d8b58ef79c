using AlignLab.Errors;

namespace AlignLab.Overoptimisation;

/// <summary>
/// The reference policy π_ref that KL regularisation and best-of-n sampling start from: per-state
/// action probabilities, stored as [s·A + a], each row summing to 1. It is uniformly random by
/// default; any stored stationary policy (a trained agent tabulated over the model's states) can
/// be given instead. Actions of probability 0 are never taken by a KL-regularised policy.
/// </summary>
internal sealed class ReferencePolicy
{
    private readonly double[] _probabilities;

    /// <summary>Creates a reference policy from per-state action probabilities [s·A + a].</summary>
    /// <exception cref="UserInputException">A probability outside [0, 1] or a row that does not sum to 1.</exception>
    public ReferencePolicy(int stateCount, int actionCount, ReadOnlySpan<double> probabilities)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stateCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(actionCount);
        if (probabilities.Length != stateCount * actionCount)
        {
            throw new UserInputException($"A reference policy needs {stateCount * actionCount} probabilities (states × actions), got {probabilities.Length}.");
        }

        for (var s = 0; s < stateCount; s++)
        {
            var sum = 0.0;
            for (var a = 0; a < actionCount; a++)
            {
                var p = probabilities[(s * actionCount) + a];
                if (!(p >= 0 && p <= 1))
                {
                    throw new UserInputException($"The reference policy's probability of action {a} in state {s} is {p}, not in [0, 1].");
                }

                sum += p;
            }

            if (Math.Abs(sum - 1) > 1e-9)
            {
                throw new UserInputException($"The reference policy's probabilities in state {s} sum to {sum}, not 1.");
            }
        }

        StateCount = stateCount;
        ActionCount = actionCount;
        _probabilities = probabilities.ToArray();
    }

    /// <summary>Number of states.</summary>
    public int StateCount { get; }

    /// <summary>Number of actions.</summary>
    public int ActionCount { get; }

    /// <summary>π_ref(a|s) at [s·A + a].</summary>
    public ReadOnlySpan<double> Probabilities => _probabilities;

    /// <summary>The uniformly random policy.</summary>
    public static ReferencePolicy Uniform(int stateCount, int actionCount)
    {
        var p = new double[stateCount * actionCount];
        Array.Fill(p, 1.0 / actionCount);
        return new ReferencePolicy(stateCount, actionCount, p);
    }

    /// <summary>Samples an action in <paramref name="state"/>.</summary>
    public int Sample(int state, ref Randomness.Rng rng)
    {
        var row = _probabilities.AsSpan(state * ActionCount, ActionCount);
        var u = rng.NextDouble();
        for (var a = 0; a < row.Length; a++)
        {
            u -= row[a];
            if (u < 0)
            {
                return a;
            }
        }

        // Rounding left u just above 0: the last action with positive probability.
        for (var a = row.Length - 1; a >= 0; a--)
        {
            if (row[a] > 0)
            {
                return a;
            }
        }

        return row.Length - 1;
    }
}
