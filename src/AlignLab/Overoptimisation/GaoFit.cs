namespace AlignLab.Overoptimisation;

/// <summary>
/// The functional forms of Gao et al. (2023), "Scaling laws for reward model overoptimization",
/// fitted by least squares to the gold-return gain over π_ref, gold(π) − gold(π_ref), against
/// d = √KL(π ‖ π_ref): best-of-n R_bon(d) = d(α − βd) and RL R_RL(d) = d(α − β log d)
/// (d log d taken as 0 at d = 0). Both are linear in (α, β), so the fit is exact (2×2 normal
/// equations, no intercept: the gain is 0 at d = 0 by construction).
/// </summary>
internal static class GaoFits
{
    /// <summary>Fits R_bon(d) = d(α − βd) to the points.</summary>
    public static GaoFit BestOfN(ReadOnlySpan<double> d, ReadOnlySpan<double> gain) => Fit(d, gain, x => x * x);

    /// <summary>Fits R_RL(d) = d(α − β log d) to the points.</summary>
    public static GaoFit Rl(ReadOnlySpan<double> d, ReadOnlySpan<double> gain) => Fit(d, gain, x => x > 0 ? x * Math.Log(x) : 0.0);

    // gain ≈ α·d − β·f(d).
    private static GaoFit Fit(ReadOnlySpan<double> d, ReadOnlySpan<double> y, Func<double, double> f)
    {
        if (d.Length != y.Length)
        {
            throw new ArgumentException("The x and y points differ in number.", nameof(y));
        }

        double s11 = 0, s12 = 0, s22 = 0, b1 = 0, b2 = 0, mean = 0;
        for (var i = 0; i < d.Length; i++)
        {
            var x1 = d[i];
            var x2 = -f(d[i]);
            s11 += x1 * x1;
            s12 += x1 * x2;
            s22 += x2 * x2;
            b1 += x1 * y[i];
            b2 += x2 * y[i];
            mean += y[i];
        }

        var det = (s11 * s22) - (s12 * s12);
        if (d.Length < 2 || !(Math.Abs(det) > 1e-300 && Math.Abs(det) > 1e-12 * s11 * s22))
        {
            return new GaoFit(double.NaN, double.NaN, double.NaN, d.Length);
        }

        var alpha = ((b1 * s22) - (b2 * s12)) / det;
        var beta = ((s11 * b2) - (s12 * b1)) / det;
        mean /= d.Length;
        double residual = 0, total = 0;
        for (var i = 0; i < d.Length; i++)
        {
            var e = y[i] - ((alpha * d[i]) - (beta * f(d[i])));
            residual += e * e;
            total += (y[i] - mean) * (y[i] - mean);
        }

        var r2 = total > 1e-300 ? 1 - (residual / total) : double.NaN;
        return new GaoFit(alpha, beta, r2, d.Length);
    }
}

/// <summary>A least-squares fit of one of Gao et al.'s forms.</summary>
/// <param name="Alpha">α, the initial slope of the gold gain in √KL.</param>
/// <param name="Beta">β, the overoptimisation coefficient (positive: gold eventually falls).</param>
/// <param name="RSquared">Coefficient of determination, 1 − SS_res/SS_tot (NaN when the gain is constant or the fit is singular).</param>
/// <param name="Points">Number of points fitted.</param>
public sealed record GaoFit(double Alpha, double Beta, double RSquared, int Points);
