using AlignLab.Grid;

namespace AlignLab.Preferences;

/// <summary>
/// The observable feature vector of one transition (board before, action, board after), in the
/// same feature language as constitution rules: for every legend symbol but the agent's,
/// <c>enter</c> and <c>leave</c> in each of the four directions, <c>stand</c>, <c>count</c>,
/// <c>appear</c> and <c>vanish</c>; then <c>changed</c> and <c>steps</c>. A linear reward model
/// over these coordinates is as readable as a constitution. Every rule's per-step value is a
/// linear function of this vector (<see cref="Weights"/>); <c>distinct_cells</c>, a segment-level
/// count, is the one feature it leaves out.
/// </summary>
public sealed class ObservableFeatures
{
    private const int PerSymbol = 12;
    private const string Directions = "UDLR";
    private readonly int[] _slot = new int[256];
    private readonly char[] _symbols;
    private readonly FeatureTerm[] _terms;
    private readonly int _width;

    /// <summary>Lays out the features of <paramref name="world"/>'s legend.</summary>
    public ObservableFeatures(GridWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        _width = world.Width;
        _symbols = [.. world.Legend.Keys.Where(c => c != world.AgentSymbol && c < 256).Order()];
        Array.Fill(_slot, -1);
        var terms = new List<FeatureTerm>();
        for (var s = 0; s < _symbols.Length; s++)
        {
            var symbol = _symbols[s];
            _slot[symbol] = s;
            foreach (var d in Directions)
            {
                terms.Add(new FeatureTerm(FeatureKind.Enter, symbol, d, 1));
            }

            foreach (var d in Directions)
            {
                terms.Add(new FeatureTerm(FeatureKind.Leave, symbol, d, 1));
            }

            terms.Add(new FeatureTerm(FeatureKind.Stand, symbol, '\0', 1));
            terms.Add(new FeatureTerm(FeatureKind.Count, symbol, '\0', 1));
            terms.Add(new FeatureTerm(FeatureKind.Appear, symbol, '\0', 1));
            terms.Add(new FeatureTerm(FeatureKind.Vanish, symbol, '\0', 1));
        }

        terms.Add(new FeatureTerm(FeatureKind.Changed, '\0', '\0', 1));
        terms.Add(new FeatureTerm(FeatureKind.Steps, '\0', '\0', 1));
        _terms = [.. terms];
    }

    /// <summary>The number of features.</summary>
    public int Count => _terms.Length;

    /// <summary>Each coordinate as a term with score 1; <see cref="FeatureTerm.FeatureName"/> names it.</summary>
    public IReadOnlyList<FeatureTerm> Terms => _terms;

    /// <summary>Writes the feature vector of step <paramref name="step"/> of a segment into <paramref name="features"/> (length <see cref="Count"/>).</summary>
    public void Compute(in Segment segment, int step, Span<double> features)
    {
        if (segment.Width != _width)
        {
            throw new ArgumentException("The segment is of another world.", nameof(segment));
        }

        Compute(new Transition(segment, step), features);
    }

    /// <summary>
    /// Writes the feature vector of one transition: <paramref name="before"/> and <paramref name="after"/>
    /// are the rendered boards, <paramref name="underAgent"/> the tile last seen under the agent
    /// before the step (<c>'\0'</c> when unknown). The action does not enter beyond the visible move it causes.
    /// </summary>
    public void Compute(ReadOnlySpan<byte> before, ReadOnlySpan<byte> after, char agentSymbol, char underAgent, Span<double> features)
    {
        var p = before.IndexOf((byte)agentSymbol);
        var q = after.IndexOf((byte)agentSymbol);
        var under = q < 0 ? '\0' : q != p ? (char)before[q] : underAgent;
        Compute(new Transition(before, after, p, q, under, _width), features);
    }

    /// <summary>
    /// The weights that make this vector reproduce a rule's per-step value:
    /// <c>rule.EvaluateStep = Σ weights[i] · features[i]</c> (distinct_cells terms aside).
    /// </summary>
    /// <exception cref="ArgumentException">The rule names a symbol outside this world's legend.</exception>
    public double[] Weights(FeatureRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var weights = new double[Count];
        foreach (var term in rule.Terms)
        {
            if (term.Kind == FeatureKind.DistinctCells)
            {
                continue;
            }

            if (!FeatureTerm.NamesTile(term.Kind))
            {
                weights[Count - (term.Kind == FeatureKind.Changed ? 2 : 1)] += term.Score;
                continue;
            }

            var slot = term.Symbol < 256 ? _slot[term.Symbol] : -1;
            if (slot < 0)
            {
                throw new ArgumentException($"The rule names '{term.Symbol}', which is not in the legend.", nameof(rule));
            }

            var at = slot * PerSymbol;
            switch (term.Kind)
            {
                case FeatureKind.Enter or FeatureKind.Leave:
                    var offset = term.Kind == FeatureKind.Enter ? 0 : 4;
                    for (var d = 0; d < 4; d++)
                    {
                        if (term.Moving == '\0' || term.Moving == Directions[d])
                        {
                            weights[at + offset + d] += term.Score;
                        }
                    }

                    break;
                default:
                    weights[at + 8 + (term.Kind - FeatureKind.Stand)] += term.Score;
                    break;
            }
        }

        return weights;
    }

    private void Compute(Transition transition, Span<double> features)
    {
        if (features.Length != Count)
        {
            throw new ArgumentException($"The feature vector has {Count} coordinates, not {features.Length}.", nameof(features));
        }

        features.Clear();
        var before = transition.Before;
        var after = transition.After;
        if (transition.Moved)
        {
            var d = Directions.IndexOf(transition.Moving, StringComparison.Ordinal);
            var entered = _slot[before[transition.AgentAfter]];
            if (entered >= 0)
            {
                features[(entered * PerSymbol) + d] = 1;
            }

            var left = _slot[after[transition.AgentBefore]];
            if (left >= 0)
            {
                features[(left * PerSymbol) + 4 + d] = 1;
            }
        }

        if (transition.AgentAfter >= 0 && transition.UnderAfter < 256 && _slot[transition.UnderAfter] is var stood and >= 0)
        {
            features[(stood * PerSymbol) + 8] = 1;
        }

        var changed = 0;
        for (var i = 0; i < after.Length; i++)
        {
            var a = after[i];
            var counted = _slot[a];
            if (counted >= 0)
            {
                features[(counted * PerSymbol) + 9] += 1;
            }

            if (i == transition.AgentBefore || i == transition.AgentAfter)
            {
                continue;
            }

            var b = before[i];
            if (a != b)
            {
                changed++;
                if (counted >= 0)
                {
                    features[(counted * PerSymbol) + 10] += 1;
                }

                var gone = _slot[b];
                if (gone >= 0)
                {
                    features[(gone * PerSymbol) + 11] += 1;
                }
            }
        }

        features[Count - 2] = changed;
        features[Count - 1] = 1;
    }
}
