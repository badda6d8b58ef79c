namespace AlignLab.Grid;

/// <summary>The agent's moves, named by the letters used in action strings: U, D, L, R and N (no-op).</summary>
public static class Moves
{
    /// <summary>Every letter an action string may contain, in the canonical action order.</summary>
    public const string AllLetters = "UDLRN";

    /// <summary>Row change of a move letter (U is −1: rows grow downwards).</summary>
    public static int RowDelta(char letter) => letter switch
    {
        'U' => -1,
        'D' => 1,
        _ => 0,
    };

    /// <summary>Column change of a move letter.</summary>
    public static int ColDelta(char letter) => letter switch
    {
        'L' => -1,
        'R' => 1,
        _ => 0,
    };
}
