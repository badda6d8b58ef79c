using System.Globalization;
using AlignLab.Grid;
using AlignLab.Scenarios;
using AlignLab.Scenarios.Reading;
using YamlDotNet.RepresentationModel;

namespace AlignLab.Preferences;

/// <summary>One term of a rule as written: the feature key, the tile as written, the direction and the score, each located.</summary>
/// <param name="Kind">The feature.</param>
/// <param name="At">The term (its key for a mapping).</param>
/// <param name="Tile">The tile as written (a map character or a legend name), for the kinds that name one.</param>
/// <param name="Moving">The direction as written, if given.</param>
/// <param name="Score">The score per occurrence (1 unless given).</param>
internal sealed record FeatureTermSyntax(FeatureKind Kind, SourceLocation At, Located<string>? Tile, Located<string>? Moving, double Score);

/// <summary>
/// Reads and checks rules in the observable feature language, used by constitution files and by a
/// scenario's <c>observed:</c> block. A rule is one term or a list of terms; a term is a mapping
/// with exactly one feature key (<c>enter</c>, <c>leave</c>, <c>stand</c>, <c>count</c>,
/// <c>appear</c>, <c>vanish</c> naming a tile; <c>changed</c>, <c>steps</c>,
/// <c>distinct_cells</c> with the value <c>true</c>), an optional <c>moving: U|D|L|R</c> (enter and
/// leave only) and an optional <c>score</c> (default 1), or the bare name of a feature that names
/// no tile. Every error is a located <see cref="ScenarioException"/>.
/// </summary>
internal static class FeatureTermReader
{
    private static readonly FeatureKind[] Kinds = Enum.GetValues<FeatureKind>();

    private static readonly string[] FeatureKeys = [.. Kinds.Select(FeatureTerm.KeyOf)];

    private static readonly string[] TermKeys = [.. FeatureKeys, "moving", "score"];

    /// <summary>The words that name the hidden side of a scenario, refused as keys or tiles in any rule.</summary>
    private static readonly string[] ObjectiveWords = ["reward", "intended", "goals", "event", "events", "objective"];

    /// <summary>Reads a rule: one term or a list of terms (at least one).</summary>
    /// <param name="nodes">The file's located reads.</param>
    /// <param name="node">The rule's value.</param>
    /// <param name="what">What the rule is, for messages.</param>
    /// <param name="hidden">Names the rule may not use as keys (hidden events of the world), or null when not known yet.</param>
    public static List<FeatureTermSyntax> ReadRule(YamlNodes nodes, YamlNode node, string what, IReadOnlyCollection<string>? hidden)
    {
        if (node is YamlSequenceNode sequence)
        {
            if (sequence.Children.Count == 0)
            {
                throw nodes.Error(node, $"{what} needs at least one term.");
            }

            return [.. sequence.Children.Select(t => ReadTerm(nodes, t, what, hidden))];
        }

        return [ReadTerm(nodes, node, what, hidden)];
    }

    /// <summary>Checks a term against a world's board symbols and compiles it.</summary>
    public static FeatureTerm Resolve(FeatureTermSyntax syntax, GridWorld world)
    {
        var symbol = '\0';
        if (syntax.Tile is { } tile)
        {
            symbol = ResolveTile(tile, world);
        }

        var moving = syntax.Moving is { } m ? m.Value[0] : '\0';
        return new FeatureTerm(syntax.Kind, symbol, moving, syntax.Score);
    }

    /// <summary>Compiles a whole rule against a world.</summary>
    public static FeatureRule Resolve(IEnumerable<FeatureTermSyntax> rule, GridWorld world) => new(rule.Select(t => Resolve(t, world)));

    private static FeatureTermSyntax ReadTerm(YamlNodes nodes, YamlNode node, string what, IReadOnlyCollection<string>? hidden)
    {
        if (node is YamlScalarNode { Value: { } bare })
        {
            var kind = KindOf(bare, nodes.At(node), hidden);
            if (FeatureTerm.NamesTile(kind))
            {
                throw nodes.Error(node, $"{what}: '{bare}' needs a tile, as in '{{{bare}: T}}'.");
            }

            return new FeatureTermSyntax(kind, nodes.At(node), null, null, 1);
        }

        var mapping = nodes.Mapping(node, $"a term of {what} (feature: tile, moving: U|D|L|R, score: n)");
        foreach (var (keyNode, _) in mapping.Children)
        {
            var key = nodes.Scalar(keyNode, $"a key of a term of {what}");
            if (!TermKeys.Contains(key))
            {
                RejectHidden(key, nodes.At(keyNode), hidden);
            }
        }

        var fields = nodes.Fields(mapping, $"a term of {what}", TermKeys);
        var features = fields.Entries.Where(e => FeatureKeys.Contains(e.Key)).ToList();
        if (features.Count != 1)
        {
            throw nodes.Error(node, features.Count == 0
                ? $"a term of {what} needs one feature: {string.Join(", ", FeatureKeys)}."
                : $"a term of {what} has {features.Count} features ({string.Join(", ", features.Select(f => f.Key))}); write one term per feature.");
        }

        var feature = features[0];
        var kindOfTerm = KindOf(feature.Key, nodes.At(feature.KeyNode), hidden);
        Located<string>? tile = null;
        if (FeatureTerm.NamesTile(kindOfTerm))
        {
            tile = nodes.LocatedScalar(feature.Value, $"the tile of '{feature.Key}'");
        }
        else if (!nodes.Bool(feature.Value, $"'{feature.Key}' (it names no tile)"))
        {
            throw nodes.Error(feature.Value, $"'{feature.Key}: false' counts nothing; leave the term out.");
        }

        Located<string>? moving = null;
        if (fields.Optional("moving") is { } movingNode)
        {
            moving = nodes.LocatedScalar(movingNode, "moving");
            if (!FeatureTerm.TakesDirection(kindOfTerm))
            {
                throw nodes.Error(movingNode, $"'moving' goes with enter or leave, not with '{feature.Key}'.");
            }

            if (moving.Value.Value is not ("U" or "D" or "L" or "R"))
            {
                throw nodes.Error(movingNode, $"moving must be U, D, L or R, not '{moving.Value.Value}'.");
            }
        }

        var score = fields.Optional("score") is { } scoreNode ? Number(nodes, scoreNode, "score") : 1.0;
        return new FeatureTermSyntax(kindOfTerm, nodes.At(feature.KeyNode), tile, moving, score);
    }

    /// <summary>A finite number.</summary>
    public static double Number(YamlNodes nodes, YamlNode node, string what)
    {
        var text = nodes.Scalar(node, what);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw nodes.Error(node, $"{what} must be a finite number, not '{text}'.");
    }

    private static FeatureKind KindOf(string key, SourceLocation at, IReadOnlyCollection<string>? hidden)
    {
        var index = Array.IndexOf(FeatureKeys, key);
        if (index >= 0)
        {
            return Kinds[index];
        }

        RejectHidden(key, at, hidden);
        throw at.Error($"unknown feature '{key}'{Suggest.DidYouMean(key, FeatureKeys)}; features: {string.Join(", ", FeatureKeys)}.");
    }

    private static void RejectHidden(string name, SourceLocation at, IReadOnlyCollection<string>? hidden)
    {
        if (ObjectiveWords.Contains(name) || (hidden is not null && hidden.Contains(name)))
        {
            throw at.Error($"'{name}' is hidden from the judge (an event or objective); rules may only use what the board shows: {string.Join(", ", FeatureKeys)} of tiles.");
        }
    }

    private static char ResolveTile(Located<string> tile, GridWorld world)
    {
        var text = tile.Value;
        if (text.Length == 1 && world.Legend.ContainsKey(text[0]))
        {
            return text[0] == world.AgentSymbol
                ? throw tile.At.Error($"the agent '{text}' is not a tile a rule can name; use steps or distinct_cells for where it goes.")
                : text[0];
        }

        var byName = world.Legend.Values.Where(t => t.Symbol != world.AgentSymbol && t.Name == text).ToList();
        if (byName.Count == 1)
        {
            return byName[0].Symbol;
        }

        var tiles = world.Legend.Values.Where(t => t.Symbol != world.AgentSymbol).OrderBy(t => t.Symbol).ToList();
        var listing = string.Join(", ", tiles.Select(t => $"'{t.Symbol}' ({t.Name})"));
        if (world.EventNames.Contains(text) || ObjectiveWords.Contains(text) || world.Goals.Any(g => g.Name == text))
        {
            throw tile.At.Error($"'{text}' is a hidden event or objective, not a tile; rules may only name tiles the judge sees: {listing}.");
        }

        var candidates = tiles.Select(t => t.Name).Concat(tiles.Select(t => t.Symbol.ToString()));
        throw tile.At.Error($"unknown tile '{text}'{Suggest.DidYouMean(text, candidates)}; tiles: {listing}.");
    }
}
