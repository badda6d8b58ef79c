namespace AlignLab.Tests.Scenarios;

/// <summary>
/// A small scenario that uses every part of the format once (parameters of each kind, a
/// component, a fixed level, a generated distribution, goals), with helpers to locate its text.
/// </summary>
internal static class SampleScenario
{
    public const string File = "sample.yaml";

    public const string Yaml = """
        id: Sample-v1
        title: Sample
        max_steps: 20
        actions: UDLRN
        parameters:
          bonus: 2
          noisy: false
          rate: {default: 0.5, choices: [0.25, 0.5]}
          label: {default: red}
          size: 7
        legend:
          '#': {name: wall, blocks: true}
          ' ': {name: floor}
          'A': {name: agent, agent: true}
          'C': {name: coin, touch: coin, collect: ' '}
          'G': {name: goal, touch: goal, terminal: true}
        components:
          - type: end_when_cleared
            with: {symbol: C}
        levels:
          - |
            #####
            #AC #
            #  G#
            #####
        distributions:
          train: [0]
          room: {generator: open_room, with: {height: $size, width: 7, objects: CG}, max_steps: 30}
        reward:
          step: -1
          coin: $bonus
          goal: 10
        intended:
          goal: 1
        goals:
          coin: {coin: 1}
          goal: {goal: 1}
        """;

    /// <summary>The sample with one piece of text replaced (which must be there).</summary>
    public static string With(string find, string replace)
    {
        Assert.Contains(find, Yaml, StringComparison.Ordinal);
        return Yaml.Replace(find, replace, StringComparison.Ordinal);
    }

    /// <summary>The 1-based line of <paramref name="text"/>'s first line and the 1-based column where <paramref name="token"/> starts on it.</summary>
    public static (int Line, int Column) Find(string text, string lineStart, string token)
    {
        var lines = text.Split('\n');
        var line = Array.FindIndex(lines, l => l.StartsWith(lineStart, StringComparison.Ordinal));
        Assert.True(line >= 0, $"no line starts with '{lineStart}'");
        var column = lines[line].IndexOf(token, StringComparison.Ordinal);
        Assert.True(column >= 0, $"'{token}' is not on line '{lines[line]}'");
        return (line + 1, column + 1);
    }
}
