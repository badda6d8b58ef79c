using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace AlignLab.Scenarios;

/// <summary>
/// The <c>with:</c> arguments of one component entry in a scenario file, with <c>$parameter</c>
/// references already resolvable. Typed reads fail with the file position of the bad value;
/// an argument the component never reads is reported as unknown.
/// </summary>
public sealed class ComponentArgs
{
    private readonly YamlNodes _nodes;
    private readonly YamlNode _at;
    private readonly Dictionary<string, YamlNode> _values;
    private readonly IReadOnlyDictionary<string, string> _parameters;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    internal ComponentArgs(YamlNodes nodes, YamlNode at, string type, Dictionary<string, YamlNode> values, IReadOnlyDictionary<string, string> parameters)
    {
        _nodes = nodes;
        _at = at;
        Type = type;
        _values = values;
        _parameters = parameters;
    }

    /// <summary>The component's registered type name.</summary>
    public string Type { get; }

    /// <summary>A number argument, or <paramref name="fallback"/> when absent.</summary>
    public double Double(string name, double fallback)
    {
        var text = Text(name, out var node);
        if (text is null)
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw _nodes.Error(node!, $"component '{Type}': '{name}' must be a number, not '{text}'.");
    }

    /// <summary>An integer argument, or <paramref name="fallback"/> when absent.</summary>
    public int Int(string name, int fallback)
    {
        var text = Text(name, out var node);
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw _nodes.Error(node!, $"component '{Type}': '{name}' must be an integer, not '{text}'.");
    }

    /// <summary>A true/false argument, or <paramref name="fallback"/> when absent.</summary>
    public bool Bool(string name, bool fallback)
    {
        var text = Text(name, out var node);
        return text switch
        {
            null => fallback,
            "true" or "True" => true,
            "false" or "False" => false,
            _ => throw _nodes.Error(node!, $"component '{Type}': '{name}' must be true or false, not '{text}'."),
        };
    }

    /// <summary>A text argument, or <paramref name="fallback"/> when absent.</summary>
    public string String(string name, string fallback) => Text(name, out _) ?? fallback;

    /// <summary>A one-character argument (a map symbol), or <paramref name="fallback"/> when absent.</summary>
    public char Char(string name, char fallback)
    {
        var text = Text(name, out var node);
        if (text is null)
        {
            return fallback;
        }

        return text.Length == 1 ? text[0] : throw _nodes.Error(node!, $"component '{Type}': '{name}' must be one map character, not '{text}'.");
    }

    /// <summary>A failure located at this component entry, for checks a component makes itself.</summary>
    public ScenarioException Error(string problem) => _nodes.Error(_at, $"component '{Type}': {problem}");

    internal void RejectUnread(IReadOnlyCollection<string> known)
    {
        foreach (var (key, node) in _values)
        {
            if (!_read.Contains(key))
            {
                throw _nodes.Error(node, $"component '{Type}' has no argument '{key}'{Suggest.DidYouMean(key, known)}.");
            }
        }
    }

    internal IReadOnlyCollection<string> ReadNames => _read;

    private string? Text(string name, out YamlNode? node)
    {
        _read.Add(name);
        if (!_values.TryGetValue(name, out node))
        {
            return null;
        }

        var text = _nodes.Scalar(node, $"component '{Type}' argument '{name}'");
        if (text.StartsWith('$'))
        {
            var parameter = text[1..];
            return _parameters.TryGetValue(parameter, out var value)
                ? value
                : throw _nodes.Error(node, $"component '{Type}': unknown parameter '${parameter}'{Suggest.DidYouMean(parameter, _parameters.Keys)}.");
        }

        return text;
    }
}
