using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace AlignLab.Scenarios;

/// <summary>Typed, located reads from a YAML node tree; every failure names file, line and column.</summary>
internal sealed class YamlNodes(string source)
{
    public string Source { get; } = source;

    public ScenarioException Error(YamlNode node, string problem) =>
        new(Source, (int)node.Start.Line, (int)node.Start.Column, problem);

    public YamlMappingNode Mapping(YamlNode node, string what) =>
        node as YamlMappingNode ?? throw Error(node, $"{what} must be a mapping (key: value lines).");

    public YamlSequenceNode Sequence(YamlNode node, string what) =>
        node as YamlSequenceNode ?? throw Error(node, $"{what} must be a list.");

    public string Scalar(YamlNode node, string what) =>
        node is YamlScalarNode { Value: { } value } ? value : throw Error(node, $"{what} must be a single value.");

    public int Int(YamlNode node, string what)
    {
        var text = Scalar(node, what);
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Error(node, $"{what} must be an integer, not '{text}'.");
    }

    public double Double(YamlNode node, string what)
    {
        var text = Scalar(node, what);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw Error(node, $"{what} must be a number, not '{text}'.");
    }

    public bool Bool(YamlNode node, string what)
    {
        var text = Scalar(node, what);
        return text switch
        {
            "true" or "True" or "yes" => true,
            "false" or "False" or "no" => false,
            _ => throw Error(node, $"{what} must be true or false, not '{text}'."),
        };
    }

    /// <summary>The entries of a mapping as (key, key node, value node), rejecting keys not in <paramref name="allowed"/>.</summary>
    public IEnumerable<(string Key, YamlNode KeyNode, YamlNode Value)> Entries(YamlMappingNode mapping, string what, IReadOnlyCollection<string>? allowed = null)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in mapping.Children)
        {
            var key = Scalar(keyNode, $"a key of {what}");
            if (!seen.Add(key))
            {
                throw Error(keyNode, $"{what}: key '{key}' appears twice.");
            }

            if (allowed is not null && !allowed.Contains(key))
            {
                throw Error(keyNode, $"{what}: unknown key '{key}'{Suggest.DidYouMean(key, allowed)}; allowed: {string.Join(", ", allowed)}.");
            }

            yield return (key, keyNode, value);
        }
    }

    public static YamlNode? Optional(YamlMappingNode mapping, string key) =>
        mapping.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    public YamlNode Required(YamlMappingNode mapping, string key, string what) =>
        Optional(mapping, key) ?? throw Error(mapping, $"{what} needs a '{key}' entry.");
}
