namespace AlignLab.Preferences;

/// <summary>
/// What one observable feature counts. Every kind is read off the rendered boards a judge sees
/// (the board before and after a step, the agent's visible cell, the tile it was last seen
/// entering), never off hidden events or objectives. All kinds but
/// <see cref="DistinctCells"/> add up over the steps of a segment; see <see cref="FeatureTerm"/>.
/// </summary>
public enum FeatureKind
{
    /// <summary>1 when the agent moved onto a cell that showed the tile on the board before the step.</summary>
    Enter,

    /// <summary>1 when the agent moved off a cell that shows the tile on the board after the step.</summary>
    Leave,

    /// <summary>1 when, after the step, the agent stands on a cell last seen showing the tile (entering included).</summary>
    Stand,

    /// <summary>The number of cells that show the tile on the board after the step.</summary>
    Count,

    /// <summary>The number of cells, not under the agent before or after, that show the tile after the step but not before.</summary>
    Appear,

    /// <summary>The number of cells, not under the agent before or after, that showed the tile before the step but not after.</summary>
    Vanish,

    /// <summary>The number of cells, not under the agent before or after, whose symbol changed in the step.</summary>
    Changed,

    /// <summary>1 per step: the time a segment takes.</summary>
    Steps,

    /// <summary>The number of distinct cells the agent is seen on in a segment (a segment-level count, not a sum over steps).</summary>
    DistinctCells,
}
