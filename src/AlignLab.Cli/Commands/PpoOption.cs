using System.CommandLine;
using System.Globalization;
using System.Reflection;
using AlignLab.Agents;
using AlignLab.Experiments;

namespace AlignLab.Cli.Commands;

/// <summary>
/// The <c>--ppo name=value</c> option: overrides one PPO hyper-parameter (a <see cref="PpoOptions"/> property,
/// written in kebab case: <c>learning-rate=1e-3</c>, <c>ent-coef=0.01</c>, <c>conv-channels=16,16</c>,
/// <c>anneal-learning-rate=false</c>, <c>activation=relu</c>). The step budget, seed and network have their own
/// options.
/// </summary>
internal static class PpoOption
{
    private static readonly string[] Reserved = [nameof(PpoOptions.TotalTimesteps), nameof(PpoOptions.Seed), nameof(PpoOptions.Network)];

    private static readonly PropertyInfo[] Settable = [.. typeof(PpoOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite && !Reserved.Contains(p.Name))];

    /// <summary>Gets the kebab-case names <c>--ppo</c> accepts.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Settable.Select(p => Kebab(p.Name))];

    /// <summary>Creates the option (repeatable).</summary>
    public static Option<string[]> Create() => new("--ppo")
    {
        Description = "PPO hyper-parameter, name=value; repeatable. Names: " + string.Join(", ", Names) + ".",
    };

    /// <summary>Applies the overrides to <paramref name="spec"/>'s PPO options; they need the ppo agent.</summary>
    public static ExperimentSpec Apply(ExperimentSpec spec, IReadOnlyList<string>? pairs)
    {
        if (pairs is null || pairs.Count == 0)
        {
            return spec;
        }

        if (spec.Agent != "ppo")
        {
            throw new UsageException($"--ppo applies to the ppo agent, not to '{spec.Agent}'.");
        }

        var options = (spec.Ppo ?? Experiment.DefaultPpo) with { };
        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new UsageException($"--ppo '{pair}': expected name=value (names: {string.Join(", ", Names)}).");
            }

            var name = pair[..eq].Trim();
            var text = pair[(eq + 1)..].Trim();
            var property = Settable.FirstOrDefault(p => Kebab(p.Name) == name)
                ?? throw new UsageException($"--ppo: unknown hyper-parameter '{name}'{AlignLab.Scenarios.Suggest.DidYouMean(name, Names)}; names: {string.Join(", ", Names)}.");
            property.SetValue(options, Parse(property.PropertyType, name, text));
        }

        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--ppo: {e.Message}");
        }

        return spec with { Ppo = options };
    }

    private static object? Parse(Type type, string name, string text)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        try
        {
            if (target != type && text is "none" or "null")
            {
                return null;
            }

            if (target == typeof(int))
            {
                return int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
            }

            if (target == typeof(double))
            {
                var value = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
                return double.IsFinite(value) ? value : throw new FormatException();
            }

            if (target == typeof(bool))
            {
                return bool.Parse(text);
            }

            if (target.IsEnum)
            {
                var names = Enum.GetNames(target);
                var match = names.FirstOrDefault(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase))
                    ?? throw new UsageException($"--ppo {name}: '{text}' is not one of {string.Join(", ", names.Select(n => n.ToLowerInvariant()))}.");
                return Enum.Parse(target, match);
            }

            if (target == typeof(IReadOnlyList<int>))
            {
                return text.Split(',').Select(t => int.Parse(t.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture)).ToArray();
            }
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new UsageException($"--ppo {name}: '{text}' is not a valid {Describe(target)}.");
        }

        throw new UsageException($"--ppo {name}: values of type {target.Name} cannot be set from the command line.");
    }

    private static string Describe(Type type) =>
        type == typeof(int) ? "integer" : type == typeof(double) ? "number" : type == typeof(bool) ? "true/false" : "comma-separated list of integers";

    private static string Kebab(string pascal) =>
        string.Concat(pascal.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "-" : string.Empty) + char.ToLowerInvariant(c) : c.ToString()));
}
