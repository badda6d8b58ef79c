namespace AlignLab.Scenarios.Reading;

/// <summary>
/// A scenario file as written: each part read into a typed value with its location, its shape
/// checked (mappings, lists, single values, integers, booleans, known keys) but not its meaning.
/// <see cref="ScenarioCompiler"/> checks that the required parts are there and what they mean,
/// and turns it into a <see cref="ScenarioDefinition"/>.
/// </summary>
/// <param name="At">The top-level mapping.</param>
/// <param name="Id">The <c>id</c>, if given (it is required).</param>
/// <param name="Title">The <c>title</c>, if given.</param>
/// <param name="Description">The <c>description</c>, if given.</param>
/// <param name="MaxSteps">The <c>max_steps</c>, if given.</param>
/// <param name="Actions">The <c>actions</c> letters, if given.</param>
/// <param name="Parameters">The <c>parameters</c>, in file order.</param>
/// <param name="Legend">The <c>legend</c>, if given (it is required).</param>
/// <param name="Levels">The <c>levels</c> list, if given.</param>
/// <param name="Distributions">The <c>distributions</c> mapping, if given.</param>
/// <param name="Components">The <c>components</c>, in update order.</param>
/// <param name="Reward">The <c>reward</c>, if given (it is required).</param>
/// <param name="Intended">The <c>intended</c> objective, if given (it is required).</param>
/// <param name="Goals">The <c>goals</c>, in file order.</param>
internal sealed record ScenarioSyntax(
    SourceLocation At,
    Located<string>? Id,
    string? Title,
    string? Description,
    Located<int>? MaxSteps,
    Located<string>? Actions,
    IReadOnlyList<ParameterSyntax> Parameters,
    LegendSyntax? Legend,
    Located<IReadOnlyList<LevelSyntax>>? Levels,
    DistributionsSyntax? Distributions,
    IReadOnlyList<ComponentEntry> Components,
    ObjectiveSyntax? Reward,
    ObjectiveSyntax? Intended,
    IReadOnlyList<ObjectiveSyntax> Goals)
{
    /// <summary>The <c>observed:</c> proxy's terms, in file order (empty when the file has none).</summary>
    public IReadOnlyList<Preferences.FeatureTermSyntax> Observed { get; init; } = [];
}

/// <summary>One entry of <c>parameters</c>: <c>name: default</c> or <c>name: {default: x, choices: [...]}</c>.</summary>
/// <param name="Name">The parameter's name.</param>
/// <param name="Default">Its default value as written.</param>
/// <param name="Choices">The values it may take, when restricted.</param>
internal sealed record ParameterSyntax(string Name, Located<string> Default, IReadOnlyList<string>? Choices);

/// <summary>The <c>legend</c> mapping.</summary>
/// <param name="At">The mapping.</param>
/// <param name="Entries">One entry per map character, in file order.</param>
internal sealed record LegendSyntax(SourceLocation At, IReadOnlyList<TileSyntax> Entries);

/// <summary>One legend entry: a map character and the tile it stands for.</summary>
/// <param name="Key">The map character as written (checked to be one character when compiled).</param>
/// <param name="At">The entry's mapping.</param>
/// <param name="Name">The tile's <c>name</c>.</param>
/// <param name="Blocks">Whether the tile is a wall.</param>
/// <param name="Touch">The event emitted at every step that ends on the tile, if any.</param>
/// <param name="Terminal">Whether ending a step on the tile ends the episode.</param>
/// <param name="Collect">The character left behind once the tile is touched, if any (as written).</param>
/// <param name="Agent">Whether this is the agent's character.</param>
/// <param name="On">The <c>on</c> entry as written (used for the agent only: the tile beneath its start).</param>
internal sealed record TileSyntax(
    Located<string> Key,
    SourceLocation At,
    string Name,
    bool Blocks,
    string? Touch,
    bool Terminal,
    Located<string>? Collect,
    bool Agent,
    ScalarSyntax? On);

/// <summary>
/// A value that should be one scalar but is only checked when used: the text, or null when the
/// file holds a list or mapping there.
/// </summary>
/// <param name="Text">The text, or null when it is not a single value.</param>
/// <param name="At">Where it was written.</param>
internal sealed record ScalarSyntax(string? Text, SourceLocation At)
{
    /// <summary>The text; a list or mapping is reported as <c>{what} must be a single value.</c></summary>
    public string Require(string what) => Text ?? throw At.Error($"{what} must be a single value.");
}

/// <summary>One fixed level: its ASCII art.</summary>
/// <param name="Art">The map, rows separated by line breaks.</param>
/// <param name="At">The level's value in the list.</param>
/// <param name="FirstLine">The file line of the map's first row (the line after <c>|</c> for a block).</param>
internal sealed record LevelSyntax(string Art, SourceLocation At, int FirstLine);

/// <summary>The <c>distributions</c> mapping.</summary>
/// <param name="At">The mapping.</param>
/// <param name="Entries">The distributions, in file order.</param>
internal sealed record DistributionsSyntax(SourceLocation At, IReadOnlyList<DistributionSyntax> Entries);

/// <summary>One named distribution: fixed levels or a generator.</summary>
/// <param name="Name">The name, located at its key.</param>
internal abstract record DistributionSyntax(Located<string> Name);

/// <summary><c>name: [level, ...]</c>: uniform over these fixed levels.</summary>
/// <param name="Name">The name, located at its key.</param>
/// <param name="Levels">The level numbers as written.</param>
internal sealed record FixedDistributionSyntax(Located<string> Name, IReadOnlyList<Located<int>> Levels) : DistributionSyntax(Name);

/// <summary><c>name: {generator: type, with: {...}, max_steps: N}</c>: a new map every episode.</summary>
/// <param name="Name">The name, located at its key.</param>
/// <param name="Generator">The generator and its arguments.</param>
/// <param name="MaxSteps">This distribution's own episode limit, if given.</param>
internal sealed record GeneratedDistributionSyntax(Located<string> Name, ComponentEntry Generator, Located<int>? MaxSteps) : DistributionSyntax(Name);

/// <summary>An objective: <c>event: weight</c> lines, or <c>0</c> for none.</summary>
/// <param name="Name">The objective's name (<c>reward</c>, <c>intended</c> or the goal's).</param>
/// <param name="At">Its value.</param>
/// <param name="Terms">Its terms, in file order.</param>
internal sealed record ObjectiveSyntax(string Name, SourceLocation At, IReadOnlyList<ObjectiveTerm> Terms);
