using AlignLab.Grid;
using AlignLab.Randomness;

namespace AlignLab.TestDesign;

/// <summary>A level the search scored, with where it came from.</summary>
/// <param name="Level">The map.</param>
/// <param name="Fitness">What the search maximises (the goals' divergence, or the policy's intended-score shortfall).</param>
/// <param name="Origin">"train draw", "deploy draw" (the distribution's name), or "edit of #k: kind" (k: the parent's index in the archive).</param>
/// <param name="Index">Its place in the order the search scored levels (0 for the first).</param>
internal sealed record ScoredLevel(GridLevel Level, double Fitness, string Origin, int Index);

/// <summary>
/// A seeded evolutionary hill-climb over levels (ACCEL-style: Parker-Holder et al. 2022): a population of the best
/// levels so far; each new candidate is, with probability <c>fresh</c>, a fresh draw from a generator, and otherwise
/// the better of two random population members edited 1–3 times by <see cref="LevelEdits"/>. The population starts
/// from draws, half from the training generator and half from the deployment one. Every candidate is scored once
/// (that is one call of the fitness); levels already scored are not scored again.
/// </summary>
internal static class LevelSearch
{
    /// <summary>Runs the search for at most <paramref name="budget"/> scorings, or until <paramref name="stop"/> says so after a scoring.</summary>
    /// <param name="sources">Generators to draw from with their names (the training one first); fresh draws alternate between them.</param>
    /// <param name="edits">The edits mutation uses.</param>
    /// <param name="fitness">Scores a level (higher is better for the search).</param>
    /// <param name="budget">The most levels scored.</param>
    /// <param name="population">Levels kept as parents.</param>
    /// <param name="fresh">Chance in [0, 1] that a candidate is a fresh draw rather than an edit.</param>
    /// <param name="rng">The search's random source.</param>
    /// <param name="stop">Called after each scoring with the archive so far; true ends the search.</param>
    public static List<ScoredLevel> Run(IReadOnlyList<(string Name, LevelGenerator Generator)> sources, LevelEdits edits, Func<GridLevel, double> fitness, int budget, int population, double fresh, ref Rng rng, Func<IReadOnlyList<ScoredLevel>, bool>? stop = null)
    {
        var archive = new List<ScoredLevel>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pool = new List<ScoredLevel>();
        var draws = 0;
        var failedTries = 0;
        while (archive.Count < budget && failedTries < 1000)
        {
            GridLevel candidate;
            string origin;
            if (archive.Count < population || pool.Count == 0 || rng.NextDouble() < fresh)
            {
                var (name, generator) = sources[draws++ % sources.Count];
                candidate = generator.Sample(ref rng);
                origin = $"{name} draw";
            }
            else
            {
                var first = pool[rng.NextInt(pool.Count)];
                var second = pool[rng.NextInt(pool.Count)];
                var parent = second.Fitness > first.Fitness ? second : first;
                candidate = parent.Level;
                var kinds = new List<string>();
                var count = 1 + rng.NextInt(3);
                for (var k = 0; k < count; k++)
                {
                    if (edits.Mutate(candidate, ref rng) is { } edited)
                    {
                        candidate = edited.Level;
                        kinds.Add(Name(edited.Kind));
                    }
                }

                origin = $"edit of #{parent.Index}: {string.Join(", ", kinds)}";
            }

            if (!seen.Add(Key(candidate)))
            {
                failedTries++;
                continue;
            }

            failedTries = 0;
            var scored = new ScoredLevel(candidate, fitness(candidate), origin, archive.Count);
            archive.Add(scored);
            pool.Add(scored);
            if (pool.Count > population)
            {
                // Drop the worst (the oldest among equals), so the population keeps the best levels found.
                var worst = 0;
                for (var i = 1; i < pool.Count; i++)
                {
                    if (pool[i].Fitness < pool[worst].Fitness)
                    {
                        worst = i;
                    }
                }

                pool.RemoveAt(worst);
            }

            if (stop?.Invoke(archive) == true)
            {
                break;
            }
        }

        return archive;
    }

    /// <summary>A level's identity: its cells and the agent's start.</summary>
    internal static string Key(GridLevel level) => string.Concat(System.Text.Encoding.Latin1.GetString(level.Cells), "@", level.AgentStart.ToString(System.Globalization.CultureInfo.InvariantCulture));

    internal static string Name(LevelEditKind kind) => kind switch
    {
        LevelEditKind.MoveObject => "move object",
        LevelEditKind.AddWall => "add wall",
        LevelEditKind.RemoveWall => "remove wall",
        _ => "move agent",
    };
}
