using AlignLab.Errors;
using AlignLab.Objectives;
using AlignLab.Randomness;

namespace AlignLab.Solve;

/// <summary>
/// A finite MDP over which the exact solver runs finite-horizon dynamic programming. Objectives
/// are linear in event counts, so a model only has to give, for every state-action pair, the
/// expected immediate value of an objective plus the expectation of a next-step value function.
/// </summary>
internal interface IExactModel
{
    /// <summary>Number of non-terminal states.</summary>
    int StateCount { get; }

    /// <summary>Number of actions (the same in every state).</summary>
    int ActionCount { get; }

    /// <summary>Episode length; values are for this many remaining steps.</summary>
    int Horizon { get; }

    /// <summary>Initial states with their probabilities (level draw and reset chance events).</summary>
    IReadOnlyList<(int State, double Probability)> Initial { get; }

    /// <summary>
    /// Writes q[s·A + a] = E[objective(transition) + vNext(next state)] for every pair, where a
    /// terminal transition contributes no next value.
    /// </summary>
    void Backup(Objective objective, ReadOnlySpan<double> vNext, Span<double> q);

    /// <summary>
    /// Writes the expected transition reward of every state-action pair,
    /// pairRewards[s·A + a] = Σ_o p_o·r(o, a, o′) over the step's outcomes, terminal ones included.
    /// </summary>
    /// <exception cref="UserInputException">The model cannot evaluate this kind of reward exactly.</exception>
    void TabulateReward(ITransitionReward reward, Span<double> pairRewards, SolverBudget budget);

    /// <summary>q[s·A + a] = pairRewards[s·A + a] + E[vNext(next state)], a terminal transition contributing no next value.</summary>
    void Backup(ReadOnlySpan<double> pairRewards, ReadOnlySpan<double> vNext, Span<double> q);

    /// <summary>Draws the symbolic board (agent drawn) that the agent observes in a state.</summary>
    void RenderBoard(int state, Span<byte> board);

    /// <summary>The agent's cell in a state (it may be hidden on the board, under water or a switch).</summary>
    int AgentCell(int state);

    /// <summary>Computes the extra observations (NaN = none) the agent gets in a state.</summary>
    void ObserveExtras(int state, Span<double> extras);

    /// <summary>Samples the next state of a transition (−1 when the episode ends), for drawing example episodes.</summary>
    int SampleNext(int state, int action, ref Rng rng);

    /// <summary>
    /// Number of immediate values the model caches per objective (the distinct expected event
    /// vectors of an enumerated model), for the memory budget.
    /// </summary>
    long ImmediateEntries { get; }

    /// <summary>Number of state-action backups one call of <see cref="Backup(Objective, ReadOnlySpan{double}, Span{double})"/> performs (for speed reports).</summary>
    long BackupsPerSweep { get; }
}
