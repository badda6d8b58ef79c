namespace AlignLab.Interpretability.Steering;

/// <summary>
/// The decision square of a maze level (Turner et al. 2023): the cell where the shortest path from the agent's start
/// to the goal object and the shortest path to the landmark (the top-right corner) part, i.e. the last cell the two
/// paths share. A level where one path runs through the other's end (the cheese on the way to the corner, or the
/// corner on the way to the cheese) has none. Shortest paths are unique in a tree maze; elsewhere ties are broken by
/// the action order.
/// </summary>
public static class DecisionSquare
{
    /// <summary>The decision square's cell, or −1 when the paths do not part.</summary>
    public static int Find(MazeLevel level)
    {
        ArgumentNullException.ThrowIfNull(level);
        var toGoal = level.ShortestPath(level.Start, level.GoalCell);
        var toLandmark = level.ShortestPath(level.Start, level.LandmarkCell);
        if (toGoal.Count == 0 || toLandmark.Count == 0)
        {
            return -1;
        }

        var shared = 0;
        while (shared + 1 < toGoal.Count && shared + 1 < toLandmark.Count && toGoal[shared + 1] == toLandmark[shared + 1])
        {
            shared++;
        }

        return shared == toGoal.Count - 1 || shared == toLandmark.Count - 1 ? -1 : toGoal[shared];
    }
}
