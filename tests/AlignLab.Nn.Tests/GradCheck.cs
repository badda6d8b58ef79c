namespace AlignLab.Nn.Tests;

/// <summary>
/// Central finite-difference gradient checks. The forward pass runs in float32 on perturbed inputs and the
/// projected loss Σ wᵢ·yᵢ is accumulated in float64. With step h = 1e-2 the float32 rounding of the outputs
/// (relative 6e-8) contributes at most about 1e-5 absolute error to the quotient for the O(1) values used
/// here, and the O(h²) truncation error is about 1e-4 for smooth ops, so |analytic − numeric| ≤ 1e-3 + 1e-2·|g|
/// is a tight bound that still fails for any wrong derivative (those are off by O(1)).
/// </summary>
internal static class GradCheck
{
    private const float Step = 1e-2f;
    private const double Atol = 1e-3;
    private const double Rtol = 1e-2;

    /// <summary>Checks d(Σ w·build(inputs))/d inputs for every element of every input.</summary>
    public static void Inputs(Func<Graph, Var[], Var> build, params Tensor[] inputs)
    {
        var g = new Graph();
        var vars = inputs.Select(t => g.Input(t, requiresGrad: true)).ToArray();
        var y = build(g, vars);
        var weights = new Tensor(y.Shape);
        var rng = new Random(12345);
        for (var i = 0; i < weights.Length; i++)
        {
            weights[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        var loss = g.Sum(g.Mul(y, g.Input(weights)));
        g.Backward(loss);
        var analytic = vars.Select(v => v.Grad!.Values.ToArray()).ToArray();

        var eval = new Graph();
        double Evaluate()
        {
            eval.Reset();
            var vs = inputs.Select(t => eval.Input(t)).ToArray();
            var yy = build(eval, vs).Value.Values;
            double s = 0;
            for (var i = 0; i < yy.Length; i++)
            {
                s += (double)yy[i] * weights[i];
            }

            return s;
        }

        for (var k = 0; k < inputs.Length; k++)
        {
            for (var j = 0; j < inputs[k].Length; j++)
            {
                var numeric = Central(inputs[k], j, Evaluate);
                AssertClose(analytic[k][j], numeric, $"input {k} element {j}");
            }
        }
    }

    /// <summary>Checks d loss/d parameter for every element of every parameter; <paramref name="lossFn"/> builds a scalar.</summary>
    public static void Parameters(Func<Graph, Var> lossFn, IReadOnlyList<Parameter> parameters)
    {
        var g = new Graph();
        foreach (var p in parameters)
        {
            p.Grad.Fill(0f);
        }

        g.Backward(lossFn(g));
        var eval = new Graph();
        double Evaluate()
        {
            eval.Reset();
            return lossFn(eval).Value[0];
        }

        foreach (var p in parameters)
        {
            for (var j = 0; j < p.Value.Length; j++)
            {
                var numeric = Central(p.Value, j, Evaluate);
                AssertClose(p.Grad[j], numeric, $"{p.Name} element {j}");
            }
        }
    }

    private static double Central(Tensor t, int j, Func<double> f)
    {
        var orig = t[j];
        var plus = orig + Step;
        var minus = orig - Step;
        t[j] = plus;
        var fp = f();
        t[j] = minus;
        var fm = f();
        t[j] = orig;
        return (fp - fm) / ((double)plus - minus);
    }

    private static void AssertClose(double analytic, double numeric, string what)
    {
        var tol = Atol + (Rtol * Math.Max(Math.Abs(analytic), Math.Abs(numeric)));
        Assert.True(
            Math.Abs(analytic - numeric) <= tol,
            $"Gradient mismatch at {what}: analytic {analytic:G6}, numeric {numeric:G6}.");
    }
}

internal static class TestData
{
    public static Tensor Uniform(int seed, float lo, float hi, params int[] shape)
    {
        var t = new Tensor(shape);
        Init.Uniform(t, lo, hi, new Random(seed));
        return t;
    }

    /// <summary>Values in ±[margin, margin+1), away from 0 (for kinks at 0).</summary>
    public static Tensor AwayFromZero(int seed, float margin, params int[] shape)
    {
        var t = Uniform(seed, -1f, 1f, shape);
        for (var i = 0; i < t.Length; i++)
        {
            t[i] = MathF.CopySign(margin + MathF.Abs(t[i]), t[i]);
        }

        return t;
    }
}
