using AlignLab.Grid;
using AlignLab.Scenarios;
using AlignLab.Scenarios.Reading;
using YamlDotNet.RepresentationModel;

namespace AlignLab.Preferences;

/// <summary>One principle of a constitution: a sentence for people, a weight, and the rule a machine checks.</summary>
/// <param name="Text">The principle in one sentence.</param>
/// <param name="Weight">How much it counts (positive; the rule's scores carry the sign).</param>
/// <param name="Rule">What it measures on a segment, in the observable feature language.</param>
public sealed record Principle(string Text, double Weight, FeatureRule Rule);

/// <summary>
/// Written principles for AI feedback (Constitutional AI, Bai et al. 2022), checked against a
/// world: a YAML file that is either a list of principles or a mapping with an optional
/// <c>scenario:</c> id and <c>principles:</c>. Each principle has <c>text</c> (one sentence),
/// <c>weight</c> (a positive number) and <c>rule</c> (see <see cref="FeatureTermReader"/>).
/// Rules name only board tiles, never hidden events or objectives. Errors are located
/// <c>file:line:column</c> like scenario errors.
/// </summary>
public sealed class Constitution
{
    private static readonly string[] TopKeys = ["scenario", "principles"];

    private static readonly string[] PrincipleKeys = ["text", "weight", "rule"];

    private Constitution(string source, string? scenarioId, IReadOnlyList<Principle> principles)
    {
        Source = source;
        ScenarioId = scenarioId;
        Principles = principles;
    }

    /// <summary>The file (or resource) it was read from.</summary>
    public string Source { get; }

    /// <summary>The scenario id the file says it is for, if it says.</summary>
    public string? ScenarioId { get; }

    /// <summary>The principles, in file order (the order breaks ties in <see cref="ConstitutionLabeller"/>'s "decided by").</summary>
    public IReadOnlyList<Principle> Principles { get; }

    /// <summary>The scenario ids with a shipped constitution (<c>constitutions/ID.yaml</c>).</summary>
    public static IReadOnlyList<string> ShippedIds =>
        [.. typeof(Constitution).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("constitutions/", StringComparison.Ordinal) && n.EndsWith(".yaml", StringComparison.Ordinal))
            .Select(n => n["constitutions/".Length..^".yaml".Length])
            .Order(StringComparer.Ordinal)];

    /// <summary>The shipped constitution of <paramref name="world"/>'s scenario.</summary>
    /// <exception cref="ScenarioException">No constitution ships for it.</exception>
    public static Constitution Shipped(GridWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        var name = $"constitutions/{world.Id}.yaml";
        using var stream = typeof(Constitution).Assembly.GetManifestResourceStream(name)
            ?? throw new ScenarioException($"no constitution ships for {world.Id}; constitutions ship for {string.Join(", ", ShippedIds)}; give a file with constitution:FILE.");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "built-in " + name, world);
    }

    /// <summary>Reads a constitution file (UTF-8, at most 1 MB) and checks it against <paramref name="world"/>.</summary>
    /// <exception cref="ScenarioException">The file cannot be read or is malformed (located).</exception>
    public static Constitution Load(string path, GridWorld world)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes;
        try
        {
            bytes = ScenarioParser.ReadCapped(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ScenarioException(path, 0, 0, $"cannot read the constitution: {e.Message}");
        }

        return Parse(ScenarioParser.Decode(bytes, path), path, world);
    }

    /// <summary>Parses constitution text; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="ScenarioException">The text is malformed (located).</exception>
    public static Constitution Parse(string text, string source, GridWorld world)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(world);
        var nodes = new YamlNodes(source);
        var root = YamlScenarioReader.Load(text, source);
        string? scenarioId = null;
        YamlNode list = root;
        if (root is YamlMappingNode mapping)
        {
            var top = nodes.Fields(mapping, "the constitution", TopKeys);
            if (top.Optional("scenario") is { } idNode)
            {
                scenarioId = nodes.Scalar(idNode, "scenario");
                if (scenarioId != world.Id)
                {
                    throw nodes.Error(idNode, $"this constitution is for {scenarioId}, not {world.Id}.");
                }
            }

            list = top.Required("principles");
        }

        var sequence = nodes.Sequence(list, "the principles (a list of text, weight, rule entries)");
        if (sequence.Children.Count == 0)
        {
            throw nodes.Error(list, "the constitution needs at least one principle.");
        }

        var hidden = world.EventNames.Concat(world.Goals.Select(g => g.Name)).ToHashSet(StringComparer.Ordinal);
        var principles = new List<Principle>();
        foreach (var item in sequence)
        {
            var what = $"principle {principles.Count + 1}";
            var entry = nodes.Fields(nodes.Mapping(item, what), what, PrincipleKeys);
            var textNode = entry.Required("text");
            var sentence = nodes.Scalar(textNode, $"{what} text").Trim();
            if (sentence.Length == 0 || sentence.Contains('\n', StringComparison.Ordinal))
            {
                throw nodes.Error(textNode, $"{what} text must be one sentence on one line.");
            }

            var weightNode = entry.Required("weight");
            var weight = FeatureTermReader.Number(nodes, weightNode, $"{what} weight");
            if (weight <= 0)
            {
                throw nodes.Error(weightNode, $"{what} weight must be positive, not {nodes.Scalar(weightNode, "weight")}; give a rule a negative score for what it discourages.");
            }

            var rule = FeatureTermReader.ReadRule(nodes, entry.Required("rule"), $"{what} rule", hidden);
            principles.Add(new Principle(sentence, weight, FeatureTermReader.Resolve(rule, world)));
        }

        return new Constitution(source, scenarioId, principles);
    }
}
