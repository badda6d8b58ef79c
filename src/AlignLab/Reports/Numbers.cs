using System.Globalization;

namespace AlignLab.Reports;

/// <summary>How AlignLab writes a number for people: in tables, reports and the command line's text output.</summary>
public static class Numbers
{
    private static readonly string[] Formats = [.. Enumerable.Range(0, 10).Select(d => d == 0 ? "0" : "0." + new string('#', d))];

    /// <summary>
    /// <paramref name="value"/> with at most <paramref name="decimals"/> decimals (0–9) and no trailing zeros,
    /// invariant culture (a point, no thousands separator); "n/a" for NaN, the value of what was not measured.
    /// </summary>
    public static string Format(double value, int decimals = 3)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(decimals);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(decimals, Formats.Length - 1);
        return double.IsNaN(value) ? "n/a" : value.ToString(Formats[decimals], CultureInfo.InvariantCulture);
    }

    /// <summary>The median of <paramref name="values"/> (the mean of the two middle values for an even count); NaN for none.</summary>
    public static double Median(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
