using AlignLab.Solve;

namespace AlignLab.Tests.Support;

/// <summary>Scripted policies whose goal is known, for the tests of goal attribution and goal inference.</summary>
internal static class ScriptedPolicies
{
    /// <summary>A policy that walks the shortest path to a target cell (BFS on the board); uniform when no path.</summary>
    internal static BoardPolicy Seek(int width, Func<ReadOnlySpan<byte>, int> target) => (board, _, p) =>
    {
        p.Clear();
        var goal = target(board);
        var agent = board.IndexOf((byte)'A');
        if (goal < 0 || agent < 0 || goal == agent)
        {
            p.Fill(1.0 / p.Length);
            return;
        }

        // BFS from the goal; then step to the neighbour closest to it.
        var distance = new int[board.Length];
        Array.Fill(distance, int.MaxValue);
        var queue = new Queue<int>();
        distance[goal] = 0;
        queue.Enqueue(goal);
        int[] deltas = [-width, width, -1, 1];
        while (queue.Count > 0)
        {
            var cell = queue.Dequeue();
            foreach (var d in deltas)
            {
                var next = cell + d;
                if (board[next] != '#' && distance[next] == int.MaxValue)
                {
                    distance[next] = distance[cell] + 1;
                    queue.Enqueue(next);
                }
            }
        }

        var best = 0;
        for (var a = 1; a < 4; a++)
        {
            if (distance[agent + deltas[a]] < distance[agent + deltas[best]])
            {
                best = a;
            }
        }

        p[best] = 1;
    };
}
