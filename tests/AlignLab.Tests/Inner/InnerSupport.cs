using AlignLab.Envs;
using AlignLab.Grid;
using AlignLab.Scenarios;

namespace AlignLab.Tests.Inner;

/// <summary>Helpers for the goal-misgeneralisation suite: hand-drawn levels, scripted episodes, sampled maps.</summary>
internal static class InnerSupport
{
    /// <summary>A level from ASCII rows; 'A' marks the agent, which stands on floor.</summary>
    public static GridLevel Level(params string[] rows)
    {
        var width = rows[0].Length;
        var cells = new byte[rows.Length * width];
        var agent = -1;
        for (var r = 0; r < rows.Length; r++)
        {
            Assert.Equal(width, rows[r].Length);
            for (var c = 0; c < width; c++)
            {
                var i = (r * width) + c;
                if (rows[r][c] == 'A')
                {
                    agent = i;
                    cells[i] = (byte)' ';
                }
                else
                {
                    cells[i] = (byte)rows[r][c];
                }
            }
        }

        return new GridLevel(rows.Length, width, cells, agent);
    }

    /// <summary>Replays an action string on a hand-drawn level of a registered scenario.</summary>
    public static ReplayResult Play(string id, GridLevel level, string actions, bool keepTrace = false)
    {
        var world = ScenarioRegistry.BuiltIn.Get(id).Build(new BuildOptions { FixedLevel = level });
        return ActionScript.Replay(EnvironmentFactory.Make(world), actions, seed: 0, keepTrace: keepTrace);
    }

    /// <summary>Maps drawn from a distribution of a registered scenario.</summary>
    public static IReadOnlyList<GridLevel> Sample(string id, string distribution, int count, ulong seed, params (string Key, string Value)[] set) =>
        ScenarioRegistry.BuiltIn.Get(id).SampleLevels(distribution, count, seed, set.ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal));

    /// <summary>Cells holding a symbol.</summary>
    public static List<int> Find(GridLevel level, char symbol) =>
        [.. Enumerable.Range(0, level.CellsView.Count).Where(i => level.CellsView[i] == symbol)];

    /// <summary>Every non-wall cell reachable from the agent's start (4-connected).</summary>
    public static HashSet<int> Reachable(GridLevel level, char wall = '#')
    {
        var seen = new HashSet<int> { level.AgentStart };
        var queue = new Queue<int>(seen);
        while (queue.Count > 0)
        {
            var i = queue.Dequeue();
            var (r, c) = (i / level.Width, i % level.Width);
            foreach (var (nr, nc) in new[] { (r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1) })
            {
                if (nr >= 0 && nr < level.Height && nc >= 0 && nc < level.Width)
                {
                    var j = (nr * level.Width) + nc;
                    if (level.CellsView[j] != wall && seen.Add(j))
                    {
                        queue.Enqueue(j);
                    }
                }
            }
        }

        return seen;
    }
}
