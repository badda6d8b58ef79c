using System.Globalization;

namespace AlignLab.Scenarios;

/// <summary>
/// The <c>with:</c> arguments of one component entry in a scenario file, with <c>$parameter</c>
/// references already resolvable. Typed reads fail with the file position of the bad value;
/// an argument the component never reads is reported as unknown.
/// </summary>
public sealed class ComponentArgs
{
    private readonly SourceLocation _at;
    private readonly IReadOnlyList<ComponentArgument> _values;
    private readonly IReadOnlyDictionary<string, string> _parameters;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);
    private readonly string _kind;
    private readonly List<(string Name, char Symbol, SourceLocation At)> _symbols = [];

    /// <summary>
    /// The arguments of <paramref name="entry"/>, with <c>$name</c> resolved from <paramref name="parameters"/>;
    /// <paramref name="kind"/> ("component" or "generator") names the entry in errors.
    /// </summary>
    internal ComponentArgs(ComponentEntry entry, IReadOnlyDictionary<string, string> parameters, string kind = "component")
    {
        _kind = kind;
        _at = entry.At;
        Type = entry.Type;
        _values = entry.Arguments;
        _parameters = parameters;
    }

    /// <summary>The component's registered type name.</summary>
    public string Type { get; }

    /// <summary>A number argument, or <paramref name="fallback"/> when absent.</summary>
    public double Double(string name, double fallback)
    {
        var text = Text(name, out var at);
        if (text is null)
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value)
            ? value
            : throw at.Error($"{_kind} '{Type}': '{name}' must be a number, not '{text}'.");
    }

    /// <summary>An integer argument, or <paramref name="fallback"/> when absent.</summary>
    public int Int(string name, int fallback)
    {
        var text = Text(name, out var at);
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw at.Error($"{_kind} '{Type}': '{name}' must be an integer, not '{text}'.");
    }

    /// <summary>A true/false argument, or <paramref name="fallback"/> when absent.</summary>
    public bool Bool(string name, bool fallback)
    {
        var text = Text(name, out var at);
        return text switch
        {
            null => fallback,
            "true" or "True" => true,
            "false" or "False" => false,
            _ => throw at.Error($"{_kind} '{Type}': '{name}' must be true or false, not '{text}'."),
        };
    }

    /// <summary>A text argument, or <paramref name="fallback"/> when absent.</summary>
    public string String(string name, string fallback) => Text(name, out _) ?? fallback;

    /// <summary>A one-character argument (a map symbol), or <paramref name="fallback"/> when absent.</summary>
    public char Char(string name, char fallback)
    {
        var text = Text(name, out var at);
        if (text is null)
        {
            _symbols.Add((name, fallback, at));
            return fallback;
        }

        if (text.Length != 1)
        {
            throw at.Error($"{_kind} '{Type}': '{name}' must be one map character, not '{text}'.");
        }

        // Map characters are legend keys, which are printable ASCII; anything else would be cut to a byte.
        if (text[0] is < ' ' or > '~')
        {
            throw at.Error($"{_kind} '{Type}': '{name}' must be one printable ASCII map character, not '{text}'.");
        }

        _symbols.Add((name, text[0], at));
        return text[0];
    }

    /// <summary>A failure located at this component entry, for checks a component makes itself.</summary>
    public ScenarioException Error(string problem) => _at.Error($"{_kind} '{Type}': {problem}");

    /// <summary>
    /// A failure located at the argument <paramref name="name"/> (or at the entry when the argument
    /// was not written), for checks a component makes on a value it read.
    /// </summary>
    public ScenarioException ErrorAt(string name, string problem) =>
        (_values.FirstOrDefault(a => a.Name == name)?.At ?? _at).Error($"{_kind} '{Type}': {problem}");

    /// <summary>
    /// Rejects the first argument the component did not read (after it was created from these
    /// arguments), suggesting the names it does read.
    /// </summary>
    internal void RejectUnread()
    {
        foreach (var argument in _values)
        {
            UnknownKeys.Reject(argument.Name, _read, didYouMean => argument.At.Error($"{_kind} '{Type}' has no argument '{argument.Name}'{didYouMean}."));
        }
    }

    /// <summary>
    /// Rejects the first map character the component read (written or by default) that the legend
    /// does not define: the component could never find it on the board, or would draw a character
    /// that has no observation channel.
    /// </summary>
    internal void RejectSymbolsNotIn(IReadOnlyDictionary<char, Grid.Tile> legend)
    {
        foreach (var (name, symbol, at) in _symbols)
        {
            if (!legend.ContainsKey(symbol))
            {
                var written = _values.Any(a => a.Name == name) ? string.Empty : " (its default)";
                throw at.Error($"{_kind} '{Type}': '{name}' is '{symbol}'{written}, which is not in the legend ({string.Join(", ", legend.Keys.Order().Select(k => $"'{k}'"))}).");
            }
        }
    }

    private string? Text(string name, out SourceLocation at)
    {
        _read.Add(name);
        var argument = _values.FirstOrDefault(a => a.Name == name);
        at = argument?.At ?? _at;
        if (argument is null)
        {
            return null;
        }

        var text = argument.Text ?? throw at.Error($"{_kind} '{Type}' argument '{name}' must be a single value.");
        if (text.StartsWith('$'))
        {
            var parameter = text[1..];
            return _parameters.TryGetValue(parameter, out var value)
                ? value
                : throw at.Error($"{_kind} '{Type}': unknown parameter '${parameter}'{Suggest.DidYouMean(parameter, _parameters.Keys)}.");
        }

        return text;
    }
}
