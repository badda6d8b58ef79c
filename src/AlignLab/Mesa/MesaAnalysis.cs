using System.Globalization;
using System.Text;
using AlignLab.Errors;
using AlignLab.Grid;
using AlignLab.Nn;
using AlignLab.Scenarios;
using AlignLab.Solve;

namespace AlignLab.Mesa;

/// <summary>What <see cref="MesaAnalysis.Run"/> reads, and which edits it measures.</summary>
/// <param name="Distribution">The distribution whose levels are read (deploy: the cheese anywhere).</param>
/// <param name="Levels">How many levels to draw from a generated distribution.</param>
/// <param name="Seed">The seed of the level draw.</param>
/// <param name="Set">Scenario parameters (the run's own).</param>
/// <param name="EditCell">Put reward on this row-major cell on every level where the agent can reach it; null for none.</param>
/// <param name="EditAll">Put reward, one edit at a time, on every cell the agent can reach on every level.</param>
/// <param name="High">The exact goal score from which a level's behaviour is attributed to a goal (else "none").</param>
/// <param name="EditStrength">How strongly an edit puts reward on its cell (<see cref="MesaPlanner.RewardOn"/>, <see cref="MesaPlanner.GoalOn"/>).</param>
/// <param name="EditKind">Which edit puts the reward there.</param>
public sealed record MesaOptions(
    string Distribution = "deploy", int Levels = 100, ulong Seed = 0, IReadOnlyDictionary<string, string>? Set = null,
    int? EditCell = null, bool EditAll = false, double High = 0.5, double EditStrength = 1, MesaEditKind EditKind = MesaEditKind.Raise);

/// <summary>One edit of the mesa-objective on one level, measured exactly.</summary>
/// <param name="Cell">The row-major cell given the reward.</param>
/// <param name="Before">The exact probability that the trained policy enters the cell within the episode.</param>
/// <param name="After">The same probability for the policy planning on the edited map.</param>
/// <param name="GreedyAfter">The same probability (0 or 1 on a deterministic level) when the edited policy takes its most probable action.</param>
/// <param name="Detour">Moves the shortest path from the start to the cell through the map's open cells takes beyond the straight (Manhattan) distance: 0 when no wall stands in the way.</param>
public sealed record MesaEdit(int Cell, double Before, double After, double GreedyAfter, int Detour = 0);

/// <summary>The mesa-objective on one level.</summary>
/// <param name="Level">The level's index in the sample.</param>
/// <param name="Map">The level's board at the start, one string per row.</param>
/// <param name="Rewards">f_R on that board, row-major.</param>
/// <param name="MaxCell">The row-major cell where f_R is largest (the first, on ties).</param>
/// <param name="Reading">The goals whose cells hold f_R's maximum over the open cells, joined by '+', or "elsewhere".</param>
/// <param name="Preferred">The goal whose cells f_R rates highest (the largest f_R on each goal's cells compared), or "none" when no goal has cells on the map.</param>
/// <param name="Behaviour">The goal with the highest exact score of the policy on this level, or "none" when none reaches <see cref="MesaOptions.High"/>.</param>
/// <param name="GoalScores">The policy's exact normalised score of each goal on this level.</param>
/// <param name="Correlations">Pearson's correlation, over the cells the map does not block, of f_R with each goal's cell indicator.</param>
/// <param name="GoalCells">The cells whose entry scores each goal.</param>
/// <param name="GoalsApart">Whether the goals' cells are disjoint (otherwise reading and behaviour cannot tell them apart).</param>
/// <param name="Edits">The measured edits.</param>
public sealed record MesaLevel(
    int Level, IReadOnlyList<string> Map, IReadOnlyList<float> Rewards, int MaxCell, string Reading, string Preferred, string Behaviour,
    IReadOnlyDictionary<string, double> GoalScores, IReadOnlyDictionary<string, double> Correlations,
    IReadOnlyDictionary<string, IReadOnlyList<int>> GoalCells, bool GoalsApart, IReadOnlyList<MesaEdit> Edits)
{
    /// <summary>Whether the reading names the goal the behaviour pursues ("elsewhere" agreeing with "none").</summary>
    public bool Agrees => Reading == Behaviour || (Reading == MesaAnalysis.Elsewhere && Behaviour == MesaAnalysis.NoGoal);

    /// <summary>Whether the goal f_R rates highest is the behavioural goal.</summary>
    public bool PreferredAgrees => Preferred == Behaviour;

    /// <summary>
    /// Whether the goals' cells are apart and no goal's cell lies on a shortest path from the start to another goal's
    /// nearest cell: on such a level the behavioural attribution cannot credit a goal the agent merely walked through
    /// on the way to another (a corner-seeker whose route crosses the cheese is attributed the cheese).
    /// </summary>
    public bool Separated { get; init; }
}

/// <summary>The mesa-objective over a distribution's levels.</summary>
/// <param name="Distribution">The distribution read.</param>
/// <param name="Levels">Every level's reading.</param>
/// <param name="Readings">How many levels have f_R's maximum on each goal's cells (or elsewhere).</param>
/// <param name="Compared">Levels whose goals' cells are apart (where reading and behaviour can disagree).</param>
/// <param name="Agreement">The share of compared levels whose reading (f_R's maximum) names the behavioural goal.</param>
/// <param name="PreferredAgreement">The share of compared levels where the goal f_R rates highest is the behavioural goal.</param>
/// <param name="MeanCorrelations">The mean over levels of each goal's correlation with f_R.</param>
/// <param name="Edits">Edits measured, all levels together.</param>
/// <param name="MeanReachAfter">The mean exact probability that the edited policy enters the edited cell.</param>
/// <param name="MeanReachBefore">The same for the unedited policy and the same cells (the baseline).</param>
/// <param name="ReachedShare">The share of edits after which the cell is entered with probability at least 0.9.</param>
/// <param name="GreedyReach">The mean probability that the edited policy, acting greedily, enters the cell.</param>
/// <param name="DetourEdits">Edits whose cell is reached only by a detour around walls (<see cref="MesaEdit.Detour"/> above 0).</param>
/// <param name="DetourReachedShare">The share of those edits after which the cell is entered with probability at least 0.9.</param>
/// <param name="StraightReachedShare">The same share over the other edits (no wall in the way).</param>
public sealed record MesaSummary(
    string Distribution, IReadOnlyList<MesaLevel> Levels, IReadOnlyDictionary<string, int> Readings, int Compared, double Agreement, double PreferredAgreement,
    IReadOnlyDictionary<string, double> MeanCorrelations, int Edits, double MeanReachAfter, double MeanReachBefore, double ReachedShare, double GreedyReach,
    int DetourEdits = 0, double DetourReachedShare = double.NaN, double StraightReachedShare = double.NaN)
{
    /// <summary>Levels whose goals are separated (<see cref="MesaLevel.Separated"/>): neither lies on the way to the other.</summary>
    public int Separated => Levels.Count(l => l.Separated);

    /// <summary>The two agreements (f_R's maximum, the goal f_R rates highest) over the separated levels only; NaN when there are none.</summary>
    public (double Maximum, double Preferred) SeparatedAgreement
    {
        get
        {
            var levels = Levels.Where(l => l.Separated).ToList();
            double Share(Func<MesaLevel, bool> agrees) => levels.Count == 0 ? double.NaN : levels.Count(agrees) / (double)levels.Count;
            return (Share(l => l.Agrees), Share(l => l.PreferredAgrees));
        }
    }
}

/// <summary>
/// Reads the mesa-objective of a value-iteration-network policy on a distribution's levels: where f_R's maximum
/// lies (on a candidate goal's cells or elsewhere), how f_R correlates with each goal's cells, whether that
/// agrees with the exact behavioural goal attribution of the same policy, and whether putting reward on a cell
/// makes the agent go there (exact probabilities from the solver's enumeration of the level).
/// </summary>
public static class MesaAnalysis
{
    /// <summary>The reading when f_R's maximum is on no goal's cells.</summary>
    public const string Elsewhere = "elsewhere";

    /// <summary>The behaviour when no goal's exact score reaches the threshold.</summary>
    public const string NoGoal = "none";

    /// <summary>Reads the VIN <paramref name="actor"/> trained on <paramref name="scenario"/> over the levels <paramref name="options"/> names.</summary>
    /// <exception cref="UserInputException">The network is not a VIN, the distribution is unknown, or an edit cell is off the map.</exception>
    public static MesaSummary Run(ScenarioDefinition scenario, Sequential actor, MesaOptions options)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(options);
        var worlds = Worlds(scenario, options);
        var levels = new List<MesaLevel>();
        for (var i = 0; i < worlds.Count; i++)
        {
            levels.Add(Level(scenario, worlds[i], actor, i, options));
        }

        var goals = worlds[0].Goals.Select(g => g.Name).ToList();
        var readings = goals.Append(Elsewhere).ToDictionary(g => g, _ => 0, StringComparer.Ordinal);
        foreach (var level in levels)
        {
            readings[level.Reading] = readings.GetValueOrDefault(level.Reading) + 1;
        }

        var compared = levels.Where(l => l.GoalsApart).ToList();
        var edits = levels.SelectMany(l => l.Edits).ToList();
        return new MesaSummary(
            options.Distribution,
            levels,
            readings,
            compared.Count,
            compared.Count == 0 ? double.NaN : compared.Count(l => l.Agrees) / (double)compared.Count,
            compared.Count == 0 ? double.NaN : compared.Count(l => l.PreferredAgrees) / (double)compared.Count,
            goals.ToDictionary(g => g, g => levels.Select(l => l.Correlations[g]).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average(), StringComparer.Ordinal),
            edits.Count,
            edits.Count == 0 ? double.NaN : edits.Average(e => e.After),
            edits.Count == 0 ? double.NaN : edits.Average(e => e.Before),
            edits.Count == 0 ? double.NaN : edits.Count(e => e.After >= 0.9) / (double)edits.Count,
            edits.Count == 0 ? double.NaN : edits.Average(e => e.GreedyAfter),
            edits.Count(e => e.Detour > 0),
            ReachedShareOf(edits.Where(e => e.Detour > 0)),
            ReachedShareOf(edits.Where(e => e.Detour == 0)));
    }

    private static double ReachedShareOf(IEnumerable<MesaEdit> edits)
    {
        var list = edits.ToList();
        return list.Count == 0 ? double.NaN : list.Count(e => e.After >= 0.9) / (double)list.Count;
    }

    /// <summary>
    /// f_R of a level drawn as text: the map on the left, and on the right each open cell's f_R as a digit 0–9 (its
    /// decile between the smallest and largest f_R over the open cells), blocked cells as the map shows them.
    /// </summary>
    public static string Render(MesaLevel level)
    {
        ArgumentNullException.ThrowIfNull(level);
        var width = level.Map[0].Length;
        var open = new List<float>();
        for (var c = 0; c < level.Rewards.Count; c++)
        {
            if (level.Map[c / width][c % width] != '#')
            {
                open.Add(level.Rewards[c]);
            }
        }

        float min = open.Count == 0 ? 0 : open.Min(), max = open.Count == 0 ? 0 : open.Max();
        var text = new StringBuilder();
        for (var r = 0; r < level.Map.Count; r++)
        {
            text.Append(level.Map[r]).Append("   ");
            for (var c = 0; c < width; c++)
            {
                var symbol = level.Map[r][c];
                var value = level.Rewards[(r * width) + c];
                text.Append(symbol == '#' ? '#' : max > min ? (char)('0' + Math.Min(9, (int)(10 * (value - min) / (max - min)))) : '0');
            }

            text.Append('\n');
        }

        text.Append(CultureInfo.InvariantCulture, $"f_R on open cells from {min:G4} (0) to {max:G4} (9); maximum at row {level.MaxCell / width}, column {level.MaxCell % width}: {level.Reading}\n");
        return text.ToString();
    }

    private static List<GridWorld> Worlds(ScenarioDefinition scenario, MesaOptions options)
    {
        if (scenario.GeneratedDistributions.ContainsKey(options.Distribution))
        {
            return [.. scenario.SampleLevels(options.Distribution, options.Levels, options.Seed, options.Set)
                .Select(level => scenario.Build(new BuildOptions(Distribution: options.Distribution, Set: options.Set) { FixedLevel = level }))];
        }

        if (scenario.Distributions.TryGetValue(options.Distribution, out var numbers))
        {
            return [.. numbers.Distinct().Select(n => scenario.Build(new BuildOptions(Level: n, Set: options.Set)))];
        }

        throw new UserInputException($"{scenario.Id} has no distribution '{options.Distribution}'{Suggest.DidYouMean(options.Distribution, scenario.DistributionNames)}.");
    }

    /// <summary>The level of <paramref name="world"/> with every tile that ends the episode (and does not block) turned to the floor under the agent's start.</summary>
    private static GridWorld? OpenVariant(ScenarioDefinition scenario, GridWorld world, MesaOptions options)
    {
        var level = world.Levels[0];
        var cells = level.CellsView.ToArray();
        var floor = cells[level.AgentStart];
        var changed = false;
        for (var c = 0; c < cells.Length; c++)
        {
            if (c != level.AgentStart && world.TileOf((char)cells[c]) is { Terminal: true, Blocks: false })
            {
                cells[c] = floor;
                changed = true;
            }
        }

        return changed ? scenario.Build(new BuildOptions(Distribution: options.Distribution, Set: options.Set) { FixedLevel = new GridLevel(level.Height, level.Width, cells, level.AgentStart) }) : null;
    }

    private static MesaLevel Level(ScenarioDefinition scenario, GridWorld world, Sequential actor, int index, MesaOptions options)
    {
        var planner = new MesaPlanner(world, actor);
        var cells = new LevelCells(world, OpenVariant(scenario, world, options));
        var board = StartBoard(world, cells.Start);
        var rewards = planner.RewardMap(board);
        var open = Enumerable.Range(0, world.CellCount).Where(c => world.TileOf((char)board[c]) is not { Blocks: true }).ToArray();
        var maxCell = open.Length == 0 ? 0 : open.MaxBy(c => rewards[c]);
        var holders = world.Goals.Where(g => cells.GoalCells[g.Name].Contains(maxCell)).Select(g => g.Name).ToList();
        var reading = holders.Count == 0 ? Elsewhere : string.Join('+', holders);
        var rated = world.Goals.Where(g => cells.GoalCells[g.Name].Count > 0).Select(g => (g.Name, Best: cells.GoalCells[g.Name].Max(c => rewards[c]))).ToList();
        var top = rated.Count == 0 ? float.NaN : rated.Max(r => r.Best);
        var preferred = rated.Count == 0 ? NoGoal : string.Join('+', rated.Where(r => r.Best == top).Select(r => r.Name));

        // The behavioural goal: the highest exact normalised goal score of the trained policy on this level.
        var solution = ExactSolution.Create(world);
        var policy = planner.Policy();
        var values = solution.Evaluate(policy);
        var scores = world.Goals.ToDictionary(g => g.Name, g => solution.Score(g, values.Goals[g.Name]), StringComparer.Ordinal);
        var best = scores.Where(s => double.IsFinite(s.Value)).OrderByDescending(s => s.Value).FirstOrDefault();
        var behaviour = best.Key is null || best.Value < options.High ? NoGoal : best.Key;

        var correlations = world.Goals.ToDictionary(g => g.Name, g => Pearson(open.Select(c => (double)rewards[c]), open.Select(c => cells.GoalCells[g.Name].Contains(c) ? 1.0 : 0.0)), StringComparer.Ordinal);
        var apart = world.Goals.Count > 1 && world.Goals.SelectMany(g => cells.GoalCells[g.Name]).GroupBy(c => c).All(group => group.Count() == 1);

        var targets = options.EditAll
            ? cells.Reachable.Where(c => c != cells.Start).ToList()
            : options.EditCell is { } cell && cell != cells.Start && cells.Reachable.Contains(cell) ? [cell] : [];
        if (options.EditCell is { } requested && (requested < 0 || requested >= world.CellCount))
        {
            throw new UserInputException($"--edit: cell {requested / world.Width},{requested % world.Width} is off the {world.Height}×{world.Width} map.");
        }

        var steps = Steps(world, board, cells.Start);
        var separated = apart && Separated(world, board, cells, steps);
        var edits = targets.Select(t =>
        {
            var edited = planner.Policy(planner.Edit(t, options.EditStrength, options.EditKind));
            return new MesaEdit(t, cells.ReachProbability(policy, t), cells.ReachProbability(edited, t), cells.ReachProbability(Greedy(edited), t),
                steps[t] - (Math.Abs((t / world.Width) - (cells.Start / world.Width)) + Math.Abs((t % world.Width) - (cells.Start % world.Width))));
        }).ToList();
        var map = Enumerable.Range(0, world.Height).Select(r => Encoding.Latin1.GetString(board, r * world.Width, world.Width)).ToList();
        return new MesaLevel(
            index, map, rewards, maxCell, reading, preferred, behaviour, scores, correlations,
            cells.GoalCells.ToDictionary(g => g.Key, g => (IReadOnlyList<int>)[.. g.Value], StringComparer.Ordinal), apart, edits)
        {
            Separated = separated,
        };
    }

    /// <summary>The policy that takes <paramref name="policy"/>'s most probable action (the first, on ties).</summary>
    private static BoardPolicy Greedy(BoardPolicy policy) => (board, extras, probabilities) =>
    {
        policy(board, extras, probabilities);
        var best = 0;
        for (var a = 1; a < probabilities.Length; a++)
        {
            best = probabilities[a] > probabilities[best] ? a : best;
        }

        probabilities.Clear();
        probabilities[best] = 1;
    };

    /// <summary>Whether no goal's cell lies on a shortest path from the start to another goal's nearest cell.</summary>
    private static bool Separated(GridWorld world, byte[] board, LevelCells cells, int[] steps)
    {
        foreach (var to in world.Goals)
        {
            var reachable = cells.GoalCells[to.Name].Where(c => steps[c] >= 0).ToList();
            if (reachable.Count == 0)
            {
                continue;
            }

            var target = reachable.MinBy(c => steps[c]);
            var back = Steps(world, board, target);
            foreach (var other in world.Goals.Where(g => g.Name != to.Name))
            {
                if (cells.GoalCells[other.Name].Any(c => steps[c] >= 0 && steps[c] + back[c] == steps[target]))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>Moves from <paramref name="start"/> to each cell through the cells whose tile does not block (breadth first); −1 where none leads.</summary>
    private static int[] Steps(GridWorld world, byte[] board, int start)
    {
        var steps = Enumerable.Repeat(-1, world.CellCount).ToArray();
        var queue = new Queue<int>();
        steps[start] = 0;
        queue.Enqueue(start);
        while (queue.TryDequeue(out var cell))
        {
            int row = cell / world.Width, col = cell % world.Width;
            foreach (var (r, c) in new[] { (row - 1, col), (row + 1, col), (row, col - 1), (row, col + 1) })
            {
                var next = (r * world.Width) + c;
                if (r >= 0 && c >= 0 && r < world.Height && c < world.Width && steps[next] < 0 && world.TileOf((char)board[next]) is not { Blocks: true })
                {
                    steps[next] = steps[cell] + 1;
                    queue.Enqueue(next);
                }
            }
        }

        return steps;
    }

    /// <summary>The board the agent sees at the start: the level's map with the agent drawn on its start cell.</summary>
    private static byte[] StartBoard(GridWorld world, int start)
    {
        var level = world.Levels[0];
        var board = level.CellsView.ToArray();
        board[start] = (byte)world.AgentSymbol;
        return board;
    }

    private static double Pearson(IEnumerable<double> xs, IEnumerable<double> ys)
    {
        var x = xs.ToArray();
        var y = ys.ToArray();
        double mx = x.Average(), my = y.Average(), sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }

        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }
}
