namespace AlignLab.Grid;

/// <summary>
/// What one map character means, from the scenario's legend. Tiles are identified by their
/// character, which is also what the symbolic board shows.
/// </summary>
/// <param name="Symbol">The map character.</param>
/// <param name="Name">A readable name (wall, goal, lava...).</param>
/// <param name="Blocks">The agent cannot enter it; a move into it leaves the agent in place.</param>
/// <param name="TouchEvent">Event emitted at every step that ends with the agent on this tile, or null.</param>
/// <param name="Terminal">Ending a step on this tile ends the episode (terminated).</param>
/// <param name="CollectInto">If set, touching the tile replaces it with this character (a collected coin becomes floor).</param>
public sealed record Tile(char Symbol, string Name, bool Blocks, string? TouchEvent, bool Terminal, char? CollectInto);
