namespace AlignLab.Preferences;

/// <summary>
/// A checked sum of <see cref="FeatureTerm"/>s over what a judge sees: the value of a segment is
/// the sum, over its steps, of each term's count times its score, plus the segment-level
/// <see cref="FeatureKind.DistinctCells"/> terms. It is what a constitution principle's
/// <c>rule</c> and a scenario's <c>observed:</c> proxy compile to. Every tile it names is a board
/// symbol of the world it was checked against; it cannot name hidden events.
/// </summary>
public sealed class FeatureRule
{
    private readonly FeatureTerm[] _terms;

    internal FeatureRule(IEnumerable<FeatureTerm> terms)
    {
        _terms = [.. terms];
    }

    /// <summary>The terms, in the order written.</summary>
    public IReadOnlyList<FeatureTerm> Terms => _terms;

    /// <summary>The rule's value of a whole segment.</summary>
    public double Evaluate(in Segment segment)
    {
        var total = 0.0;
        for (var step = 0; step < segment.Length; step++)
        {
            total += EvaluateStep(segment, step);
        }

        foreach (var term in _terms)
        {
            if (term.Kind == FeatureKind.DistinctCells)
            {
                total += term.Score * DistinctCells(segment);
            }
        }

        return total;
    }

    /// <summary>The rule's value of one step of a segment (segment-level terms excluded).</summary>
    public double EvaluateStep(in Segment segment, int step)
    {
        var transition = new Transition(segment, step);
        var total = 0.0;
        foreach (var term in _terms)
        {
            total += term.Score * transition.Count(term.Kind, (byte)term.Symbol, term.Moving);
        }

        return total;
    }

    /// <summary>The number of distinct cells the agent is drawn on over the segment's boards.</summary>
    internal static int DistinctCells(in Segment segment)
    {
        var cells = segment.Height * segment.Width;
        Span<bool> seen = cells <= 4096 ? stackalloc bool[cells] : new bool[cells];
        var distinct = 0;
        for (var t = 0; t <= segment.Length; t++)
        {
            var cell = segment.AgentCell(t);
            if (cell >= 0 && !seen[cell])
            {
                seen[cell] = true;
                distinct++;
            }
        }

        return distinct;
    }
}

/// <summary>One step as a judge sees it: the boards before and after, the agent's visible cells, the tile under it.</summary>
internal readonly ref struct Transition
{
    public Transition(in Segment segment, int step)
        : this(segment.Board(step), segment.Board(step + 1), segment.AgentCell(step), segment.AgentCell(step + 1), segment.UnderAgent(step + 1), segment.Width)
    {
    }

    public Transition(ReadOnlySpan<byte> before, ReadOnlySpan<byte> after, int agentBefore, int agentAfter, char underAfter, int width)
    {
        Before = before;
        After = after;
        AgentBefore = agentBefore;
        AgentAfter = agentAfter;
        UnderAfter = underAfter;
        Moved = agentBefore >= 0 && agentAfter >= 0 && agentBefore != agentAfter;
        Moving = Moved ? Direction(agentBefore, agentAfter, width) : '\0';
    }

    public ReadOnlySpan<byte> Before { get; }

    public ReadOnlySpan<byte> After { get; }

    public int AgentBefore { get; }

    public int AgentAfter { get; }

    public char UnderAfter { get; }

    /// <summary>Whether the agent was seen on two different cells.</summary>
    public bool Moved { get; }

    /// <summary>The move letter (U, D, L, R) of the visible displacement (its larger axis), or <c>'\0'</c>.</summary>
    public char Moving { get; }

    /// <summary>How many times the feature occurs in this step.</summary>
    public int Count(FeatureKind kind, byte symbol, char moving)
    {
        switch (kind)
        {
            case FeatureKind.Enter:
                return Moved && Before[AgentAfter] == symbol && (moving == '\0' || moving == Moving) ? 1 : 0;
            case FeatureKind.Leave:
                return Moved && After[AgentBefore] == symbol && (moving == '\0' || moving == Moving) ? 1 : 0;
            case FeatureKind.Stand:
                return AgentAfter >= 0 && UnderAfter == symbol ? 1 : 0;
            case FeatureKind.Count:
                return After.Count(symbol);
            case FeatureKind.Steps:
                return 1;
            case FeatureKind.DistinctCells:
                return 0;
            default:
                var count = 0;
                for (var i = 0; i < After.Length; i++)
                {
                    if (i == AgentBefore || i == AgentAfter)
                    {
                        continue;
                    }

                    var b = Before[i];
                    var a = After[i];
                    count += kind switch
                    {
                        FeatureKind.Appear => a == symbol && b != symbol ? 1 : 0,
                        FeatureKind.Vanish => b == symbol && a != symbol ? 1 : 0,
                        _ => a != b ? 1 : 0,
                    };
                }

                return count;
        }
    }

    private static char Direction(int from, int to, int width)
    {
        var dr = (to / width) - (from / width);
        var dc = (to % width) - (from % width);
        return Math.Abs(dr) >= Math.Abs(dc) ? (dr < 0 ? 'U' : 'D') : (dc < 0 ? 'L' : 'R');
    }
}
