using AlignLab.Overoptimisation;
using CsCheck;

namespace AlignLab.Tests.Overoptimisation;

/// <summary>Gao et al.'s forms: least squares recovers planted coefficients; R² reports the misfit.</summary>
public sealed class GaoFitTests
{
    [Fact]
    public void BothFormsRecoverPlantedCoefficientsExactly() =>
        Gen.Select(Gen.Double[-20, 20], Gen.Double[-5, 5]).Sample((alpha, beta) =>
        {
            var d = Enumerable.Range(0, 15).Select(i => 0.2 * i).ToArray();
            var bon = GaoFits.BestOfN(d, [.. d.Select(x => x * (alpha - (beta * x)))]);
            Assert.Equal(alpha, bon.Alpha, 1e-8);
            Assert.Equal(beta, bon.Beta, 1e-8);
            var rl = GaoFits.Rl(d, [.. d.Select(x => x > 0 ? x * (alpha - (beta * Math.Log(x))) : 0)]);
            Assert.Equal(alpha, rl.Alpha, 1e-8);
            Assert.Equal(beta, rl.Beta, 1e-8);
            Assert.Equal(15, rl.Points);
            if (Math.Abs(alpha) + Math.Abs(beta) > 0.1)
            {
                Assert.Equal(1, bon.RSquared, 1e-9);
                Assert.Equal(1, rl.RSquared, 1e-9);
            }
        }, iter: 200);

    [Fact]
    public void NoiseLowersRSquaredAndLeavesTheCoefficientsClose()
    {
        var d = Enumerable.Range(0, 40).Select(i => 0.1 * i).ToArray();
        var noise = d.Select((_, i) => i % 2 == 0 ? 0.3 : -0.3).ToArray();
        var fit = GaoFits.BestOfN(d, [.. d.Select((x, i) => (x * (4 - (1.5 * x))) + noise[i])]);
        Assert.InRange(fit.RSquared, 0.5, 0.999);
        Assert.Equal(4, fit.Alpha, 0);
        Assert.Equal(1.5, fit.Beta, 0);
    }

    [Fact]
    public void ADegenerateFitIsNaN()
    {
        var fit = GaoFits.Rl([0.0, 0, 0], [1.0, 2, 3]);
        Assert.True(double.IsNaN(fit.Alpha) && double.IsNaN(fit.RSquared));
        var flat = GaoFits.BestOfN([0.0, 1, 2], [0.0, 0, 0]);
        Assert.True(double.IsNaN(flat.RSquared));
    }
}
