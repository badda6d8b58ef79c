using AlignLab.Objectives;
using AlignLab.Randomness;
using AlignLab.Solve;

namespace AlignLab.Tests.Overoptimisation;

/// <summary>
/// A hand-built MDP small enough to enumerate every trajectory: two states, two actions, horizon
/// two, stochastic transitions, two events ("proxy" and "gold") whose counts differ by transition.
/// </summary>
internal sealed class TinyMdp : IExactModel
{
    public static readonly string[] EventNames = ["proxy", "gold"];
    public static readonly Objective Proxy = new("reward", EventNames, [(0, 1.0)]);
    public static readonly Objective Gold = new("intended", EventNames, [(1, 1.0)]);

    // Per (s, a): outcomes (probability, next state or −1 for terminal, proxy count, gold count).
    private static readonly (double P, int Next, double Proxy, double Gold)[][] Outcomes =
    [
        [(0.7, 0, 1.0, 0.5), (0.3, 1, 0.0, 1.0)],  // s0, a0
        [(1.0, 1, 0.4, 2.0)],                       // s0, a1
        [(0.5, 0, 3.0, -1.0), (0.5, -1, 2.0, -2.0)], // s1, a0: can end the episode
        [(0.9, 1, 0.2, 0.3), (0.1, 0, 1.5, 0.0)],   // s1, a1
    ];

    public int StateCount => 2;

    public int ActionCount => 2;

    public int Horizon => 2;

    public IReadOnlyList<(int State, double Probability)> Initial { get; } = [(0, 0.6), (1, 0.4)];

    public long ImmediateEntries => 4;

    public long BackupsPerSweep => 4;

    /// <summary>The outcomes of taking <paramref name="action"/> in <paramref name="state"/>.</summary>
    public static (double P, int Next, double Proxy, double Gold)[] Of(int state, int action) => Outcomes[(state * 2) + action];

    public void Backup(Objective objective, ReadOnlySpan<double> vNext, Span<double> q)
    {
        Span<double> events = stackalloc double[2];
        for (var pair = 0; pair < 4; pair++)
        {
            var value = 0.0;
            foreach (var (p, next, proxy, gold) in Outcomes[pair])
            {
                events[0] = proxy;
                events[1] = gold;
                value += p * (objective.Evaluate(events) + (next >= 0 ? vNext[next] : 0));
            }

            q[pair] = value;
        }
    }

    public void TabulateReward(ITransitionReward reward, Span<double> pairRewards, SolverBudget budget) => throw new NotSupportedException("the tiny MDP has no boards to show a transition reward");

    public void Backup(ReadOnlySpan<double> pairRewards, ReadOnlySpan<double> vNext, Span<double> q)
    {
        for (var pair = 0; pair < 4; pair++)
        {
            var value = pairRewards[pair];
            foreach (var (p, next, _, _) in Outcomes[pair])
            {
                value += next >= 0 ? p * vNext[next] : 0;
            }

            q[pair] = value;
        }
    }

    public int SampleNext(int state, int action, ref Rng rng)
    {
        var u = rng.NextDouble();
        foreach (var (p, next, _, _) in Of(state, action))
        {
            u -= p;
            if (u < 0)
            {
                return next;
            }
        }

        return Of(state, action)[^1].Next;
    }

    public void RenderBoard(int state, Span<byte> board) => throw new NotSupportedException();

    public int AgentCell(int state) => throw new NotSupportedException();

    public void ObserveExtras(int state, Span<double> extras) => throw new NotSupportedException();
}
