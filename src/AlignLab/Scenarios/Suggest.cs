namespace AlignLab.Scenarios;

/// <summary>"Did you mean" suggestions by edit distance.</summary>
public static class Suggest
{
    /// <summary>The candidates closest to <paramref name="input"/> (case-insensitive), best first; empty if none is close.</summary>
    public static IReadOnlyList<string> Closest(string input, IEnumerable<string> candidates, int max = 3)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(candidates);
        var lower = input.ToLowerInvariant();
        return [.. candidates
            .Select(c => (Candidate: c, Distance: Distance(lower, c.ToLowerInvariant())))
            .Where(x => x.Distance <= Math.Max(2, x.Candidate.Length / 3) || x.Candidate.Contains(input, StringComparison.OrdinalIgnoreCase))
            .OrderBy(x => x.Distance)
            .ThenBy(x => x.Candidate, StringComparer.Ordinal)
            .Take(max)
            .Select(x => x.Candidate)];
    }

    /// <summary>" (did you mean 'x' or 'y'?)", or empty when nothing is close.</summary>
    public static string DidYouMean(string input, IEnumerable<string> candidates)
    {
        var close = Closest(input, candidates);
        return close.Count == 0 ? string.Empty : $" (did you mean {string.Join(" or ", close.Select(c => $"'{c}'"))}?)";
    }

    /// <summary>Levenshtein distance.</summary>
    internal static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
