using System.Globalization;
using AlignLab.Errors;
using AlignLab.Grid;
using AlignLab.Scenarios;

namespace AlignLab.Interpretability;

/// <summary>
/// A probe target computed from the true state of each observation: a class per observation (−1 where the target is
/// undefined, e.g. no goal object on the map; such observations are left out of the probe).
/// </summary>
/// <param name="Name">The target's name as the user wrote it.</param>
/// <param name="Description">What the classes mean.</param>
/// <param name="Labels">One class per observation, −1 for none.</param>
public sealed record ProbeTarget(string Name, string Description, IReadOnlyList<int> Labels)
{
    /// <summary>
    /// True when each class is a cell of the map (row · width + column): <c>agent</c>, <c>GOAL</c> and
    /// <c>GOAL-next</c>, the targets <see cref="SharedProbe"/> reads; false for moves and yes/no targets.
    /// </summary>
    public bool IsCell { get; init; }
}

/// <summary>
/// The targets a probe can read, computed from the true state:
/// <list type="bullet">
/// <item><c>agent</c>: the agent's cell;</item>
/// <item><c>GOAL</c> (a candidate goal of the scenario, e.g. <c>cheese</c>): the cell of the goal's object (the tile whose touch
/// scores it) or of the cell a reach-cell component watches;</item>
/// <item><c>GOAL-step</c>: the first move (an action index) of a shortest path from the agent to that cell, the lowest action
/// index among ties (e.g. <c>corner-step</c>: which way the corner lies);</item>
/// <item><c>GOAL-next</c>: the cell that first move leads to (the same fact as a cell, so the shared probe can read it);</item>
/// <item><c>GOAL-within-K</c>: 1 when that cell is at most K moves away, else 0.</item>
/// </list>
/// </summary>
public static class ProbeTargets
{
    /// <summary>The target names available for <paramref name="world"/> (K = 5 shown for the distance targets).</summary>
    public static IReadOnlyList<string> Names(GridWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        var names = new List<string> { "agent" };
        foreach (var goal in world.Goals)
        {
            names.AddRange([goal.Name, goal.Name + "-step", goal.Name + "-next", goal.Name + "-within-5"]);
        }

        return names;
    }

    /// <summary>Computes target <paramref name="name"/> on every observation of <paramref name="set"/>.</summary>
    /// <exception cref="UserInputException">The name is not a target of this scenario.</exception>
    public static ProbeTarget Compute(ObservationSet set, string name)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(name);
        var world = set.World;
        var labels = new int[set.Count];
        if (name == "agent")
        {
            for (var i = 0; i < set.Count; i++)
            {
                labels[i] = set.AgentCells[i];
            }

            return new ProbeTarget(name, "the agent's cell", labels) { IsCell = true };
        }

        var (goalName, kind, k) = Parse(name);
        var goal = world.Goals.FirstOrDefault(g => g.Name == goalName)
            ?? throw new UserInputException($"unknown probe target '{name}'{Suggest.DidYouMean(name, Names(world))}; targets: {string.Join(", ", Names(world))} (any K for -within-K).");
        var distance = new int[world.CellCount];
        var queue = new int[world.CellCount];
        for (var i = 0; i < set.Count; i++)
        {
            var cell = set.GoalCell(goal, i);
            if (kind == Kind.Cell || cell < 0)
            {
                labels[i] = cell;
                continue;
            }

            set.DistancesTo(i, cell, distance, queue);
            var agent = set.AgentCells[i];
            labels[i] = kind switch
            {
                Kind.Within => distance[agent] >= 0 ? (distance[agent] <= k ? 1 : 0) : -1,
                Kind.Next => NextCell(world, agent, FirstStep(world, agent, distance)),
                _ => FirstStep(world, agent, distance),
            };
        }

        var description = kind switch
        {
            Kind.Cell => $"the cell of goal '{goalName}'",
            Kind.Step => $"the first move of a shortest path to goal '{goalName}' (action index, {world.ActionLetters})",
            Kind.Next => $"the cell the first move of a shortest path to goal '{goalName}' leads to",
            _ => $"goal '{goalName}' within {k} moves (1) or not (0)",
        };
        return new ProbeTarget(name, description, labels) { IsCell = kind is Kind.Cell or Kind.Next };
    }

    private static int FirstStep(GridWorld world, int agent, ReadOnlySpan<int> distance)
    {
        var here = distance[agent];
        if (here <= 0)
        {
            return -1;
        }

        var row = agent / world.Width;
        var col = agent % world.Width;
        for (var a = 0; a < world.ActionLetters.Length; a++)
        {
            var letter = world.ActionLetters[a];
            var r = row + Moves.RowDelta(letter);
            var c = col + Moves.ColDelta(letter);
            if ((uint)r < (uint)world.Height && (uint)c < (uint)world.Width && (r != row || c != col)
                && distance[(r * world.Width) + c] == here - 1)
            {
                return a;
            }
        }

        return -1;
    }

    private static int NextCell(GridWorld world, int agent, int action)
    {
        if (action < 0)
        {
            return -1;
        }

        var letter = world.ActionLetters[action];
        return ((agent / world.Width) + Moves.RowDelta(letter)) * world.Width + (agent % world.Width) + Moves.ColDelta(letter);
    }

    private static (string Goal, Kind Kind, int K) Parse(string name)
    {
        if (name.EndsWith("-next", StringComparison.Ordinal))
        {
            return (name[..^"-next".Length], Kind.Next, 0);
        }

        if (name.EndsWith("-step", StringComparison.Ordinal))
        {
            return (name[..^"-step".Length], Kind.Step, 0);
        }

        var at = name.LastIndexOf("-within-", StringComparison.Ordinal);
        if (at > 0)
        {
            var text = name[(at + "-within-".Length)..];
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var k) || k < 0)
            {
                throw new UserInputException($"probe target '{name}': K in GOAL-within-K must be a whole number ≥ 0, not '{text}'.");
            }

            return (name[..at], Kind.Within, k);
        }

        return (name, Kind.Cell, 0);
    }

    private enum Kind
    {
        Cell,
        Step,
        Next,
        Within,
    }
}
