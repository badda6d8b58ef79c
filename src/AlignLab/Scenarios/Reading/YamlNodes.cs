using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace AlignLab.Scenarios.Reading;

/// <summary>Typed, located reads from a YAML node tree; every failure names file, line and column.</summary>
internal sealed class YamlNodes(string source)
{
    public string Source { get; } = source;

    public SourceLocation At(YamlNode node) => new(Source, (int)node.Start.Line, (int)node.Start.Column);

    public ScenarioException Error(YamlNode node, string problem) => At(node).Error(problem);

    public YamlMappingNode Mapping(YamlNode node, string what) =>
        node as YamlMappingNode ?? throw Error(node, $"{what} must be a mapping (key: value lines).");

    public YamlSequenceNode Sequence(YamlNode node, string what) =>
        node as YamlSequenceNode ?? throw Error(node, $"{what} must be a list.");

    public string Scalar(YamlNode node, string what) =>
        node is YamlScalarNode { Value: { } value } ? value : throw Error(node, $"{what} must be a single value.");

    public Located<string> LocatedScalar(YamlNode node, string what) => new(Scalar(node, what), At(node));

    public int Int(YamlNode node, string what)
    {
        var text = Scalar(node, what);
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw Error(node, $"{what} must be an integer, not '{text}'.");
    }

    public Located<int> LocatedInt(YamlNode node, string what) => new(Int(node, what), At(node));

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

    /// <summary>
    /// The entries of a mapping, checked once: every key is a single value that appears once and,
    /// when <paramref name="allowed"/> is given, is one of those (otherwise the error suggests close ones).
    /// </summary>
    public YamlFields Fields(YamlMappingNode mapping, string what, IReadOnlyCollection<string>? allowed = null)
    {
        var entries = new List<YamlField>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in mapping.Children)
        {
            var key = Scalar(keyNode, $"a key of {what}");
            if (!seen.Add(key))
            {
                throw Error(keyNode, $"{what}: key '{key}' appears twice.");
            }

            if (allowed is not null)
            {
                UnknownKeys.Reject(key, allowed, didYouMean => Error(keyNode, $"{what}: unknown key '{key}'{didYouMean}; allowed: {string.Join(", ", allowed)}."));
            }

            entries.Add(new YamlField(key, keyNode, value));
        }

        return new YamlFields(this, mapping, what, entries);
    }

    /// <summary>One entry of a mapping: its key as text, the key's node and the value's node.</summary>
    public sealed record YamlField(string Key, YamlNode KeyNode, YamlNode Value);

    /// <summary>A mapping whose keys were checked, read by key.</summary>
    public sealed class YamlFields(YamlNodes nodes, YamlMappingNode mapping, string what, IReadOnlyList<YamlField> entries)
    {
        /// <summary>The mapping itself.</summary>
        public YamlMappingNode Node { get; } = mapping;

        /// <summary>The entries in file order.</summary>
        public IReadOnlyList<YamlField> Entries { get; } = entries;

        /// <summary>The value under <paramref name="key"/>, or null when absent.</summary>
        public YamlNode? Optional(string key) => Entries.FirstOrDefault(e => e.Key == key)?.Value;

        /// <summary>The value under <paramref name="key"/>; its absence is reported at the mapping.</summary>
        public YamlNode Required(string key) => Optional(key) ?? throw nodes.Error(Node, $"{what} needs a '{key}' entry.");
    }
}
