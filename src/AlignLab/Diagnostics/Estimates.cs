namespace AlignLab.Diagnostics;

/// <summary>A mean with a 95% confidence interval (normal approximation) and its sample size.</summary>
/// <param name="Mean">Sample mean.</param>
/// <param name="Low">Lower end of the 95% interval.</param>
/// <param name="High">Upper end of the 95% interval.</param>
/// <param name="N">Number of samples (levels or episodes).</param>
public sealed record Estimate(double Mean, double Low, double High, int N)
{
    /// <summary>Mean ± 1.96 standard errors of <paramref name="values"/>; NaN values are skipped.</summary>
    public static Estimate Of(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var list = values.Where(v => !double.IsNaN(v)).ToList();
        if (list.Count == 0)
        {
            return new Estimate(double.NaN, double.NaN, double.NaN, 0);
        }

        var mean = list.Average();
        var sd = list.Count > 1 ? Math.Sqrt(list.Sum(v => (v - mean) * (v - mean)) / (list.Count - 1)) : 0;
        var half = 1.96 * sd / Math.Sqrt(list.Count);
        return new Estimate(mean, mean - half, mean + half, list.Count);
    }

    /// <summary>A proportion with its Wilson 95% interval.</summary>
    public static Estimate Proportion(int successes, int trials)
    {
        if (trials <= 0)
        {
            return new Estimate(double.NaN, double.NaN, double.NaN, 0);
        }

        const double z = 1.96;
        var p = (double)successes / trials;
        var denominator = 1 + (z * z / trials);
        var centre = (p + (z * z / (2 * trials))) / denominator;
        var half = z * Math.Sqrt((p * (1 - p) / trials) + (z * z / (4.0 * trials * trials))) / denominator;
        return new Estimate(p, Math.Max(0, centre - half), Math.Min(1, centre + half), trials);
    }

    /// <summary>"0.91 [0.87, 0.95] (n=20)".</summary>
    public override string ToString() =>
        double.IsNaN(Mean) ? "n/a" : FormattableString.Invariant($"{Mean:0.00} [{Low:0.00}, {High:0.00}] (n={N})");
}
