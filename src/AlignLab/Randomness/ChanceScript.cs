namespace AlignLab.Randomness;

/// <summary>
/// Replaces sampling with enumeration, for the exact solver: instead of drawing, each chance
/// event takes the outcome the script dictates and records its probability, so that every
/// branch of a stochastic step can be visited once with its exact probability.
/// </summary>
internal sealed class ChanceScript
{
    private readonly List<int> _choices = [];
    private readonly List<int> _arities = [];
    private int _cursor;

    /// <summary>Probability of the outcomes taken so far in the current replay.</summary>
    public double Probability { get; private set; } = 1.0;

    /// <summary>Starts a replay of the current branch.</summary>
    public void Rewind()
    {
        _cursor = 0;
        Probability = 1.0;
    }

    /// <summary>Forgets every branch: the next replay starts enumeration afresh.</summary>
    public void Clear()
    {
        _choices.Clear();
        _arities.Clear();
        Rewind();
    }

    /// <summary>
    /// Moves to the next branch in depth-first order; false once every branch has been visited.
    /// Draws the last replay did not reach are dropped, so a branch that draws less is handled.
    /// </summary>
    public bool Advance()
    {
        var used = _cursor;
        _choices.RemoveRange(used, _choices.Count - used);
        _arities.RemoveRange(used, _arities.Count - used);
        for (var i = used - 1; i >= 0; i--)
        {
            if (_choices[i] + 1 < _arities[i])
            {
                _choices[i]++;
                _choices.RemoveRange(i + 1, _choices.Count - i - 1);
                _arities.RemoveRange(i + 1, _arities.Count - i - 1);
                Rewind();
                return true;
            }
        }

        return false;
    }

    /// <summary>A Bernoulli draw: outcome 0 is "true" with probability <paramref name="p"/>.</summary>
    public bool Bernoulli(double p)
    {
        if (p <= 0)
        {
            return false;
        }

        if (p >= 1)
        {
            return true;
        }

        var choice = Next(2);
        Probability *= choice == 0 ? p : 1 - p;
        return choice == 0;
    }

    /// <summary>A uniform draw among <paramref name="n"/> outcomes.</summary>
    public int UniformInt(int n)
    {
        var choice = Next(n);
        Probability /= n;
        return choice;
    }

    private int Next(int arity)
    {
        if (_cursor == _choices.Count)
        {
            _choices.Add(0);
            _arities.Add(arity);
        }
        else if (_arities[_cursor] != arity)
        {
            throw new InvalidOperationException("A chance event changed its arity between replays of one branch.");
        }

        return _choices[_cursor++];
    }
}
