namespace AlignLab.Nn;

/// <summary>Seeded weight initialisers. Every method draws only from the generator passed in.</summary>
public static class Init
{
    /// <summary>Fills with values uniform in [<paramref name="low"/>, <paramref name="high"/>).</summary>
    /// <param name="tensor">The tensor to fill.</param>
    /// <param name="low">Lower bound.</param>
    /// <param name="high">Upper bound.</param>
    /// <param name="rng">The seeded generator.</param>
    public static void Uniform(Tensor tensor, float low, float high, Random rng)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(rng);
        var s = tensor.Span;
        for (var i = 0; i < s.Length; i++)
        {
            s[i] = (float)(low + ((high - (double)low) * rng.NextDouble()));
        }
    }

    /// <summary>Fills with normal samples of the given mean and standard deviation (Box–Muller in double).</summary>
    /// <param name="tensor">The tensor to fill.</param>
    /// <param name="mean">The mean.</param>
    /// <param name="std">The standard deviation.</param>
    /// <param name="rng">The seeded generator.</param>
    public static void Normal(Tensor tensor, float mean, float std, Random rng)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(rng);
        var s = tensor.Span;
        for (var i = 0; i < s.Length; i++)
        {
            s[i] = (float)(mean + (std * StandardNormal(rng)));
        }
    }

    /// <summary>
    /// Kaiming (He) uniform initialisation: uniform in ±gain·√(3/fan_in), so the standard deviation is
    /// gain/√fan_in. Use gain √2 before a ReLU. fan_in is the product of all dimensions after the first.
    /// </summary>
    /// <param name="tensor">A weight whose first dimension is the output size.</param>
    /// <param name="gain">The gain.</param>
    /// <param name="rng">The seeded generator.</param>
    public static void KaimingUniform(Tensor tensor, float gain, Random rng)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var bound = gain * MathF.Sqrt(3f / FanIn(tensor));
        Uniform(tensor, -bound, bound, rng);
    }

    /// <summary>Kaiming (He) normal initialisation: standard deviation gain/√fan_in.</summary>
    /// <param name="tensor">A weight whose first dimension is the output size.</param>
    /// <param name="gain">The gain.</param>
    /// <param name="rng">The seeded generator.</param>
    public static void KaimingNormal(Tensor tensor, float gain, Random rng)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        Normal(tensor, 0f, gain / MathF.Sqrt(FanIn(tensor)), rng);
    }

    /// <summary>
    /// Orthogonal initialisation (as torch.nn.init.orthogonal_): the weight viewed as [rows, rest] gets orthonormal
    /// rows (when rows ≤ rest) or columns, scaled by <paramref name="gain"/>. Computed by Gram–Schmidt in double.
    /// </summary>
    /// <param name="tensor">A weight of rank at least 2.</param>
    /// <param name="gain">The scale (√2 for ReLU layers, 0.01 for a policy head is common in PPO).</param>
    /// <param name="rng">The seeded generator.</param>
    public static void Orthogonal(Tensor tensor, float gain, Random rng)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        ArgumentNullException.ThrowIfNull(rng);
        if (tensor.Rank < 2)
        {
            throw new ArgumentException($"Orthogonal initialisation needs rank ≥ 2, got {tensor}.", nameof(tensor));
        }

        var rows = tensor.Shape[0];
        var cols = tensor.Length / rows;
        var n = Math.Max(rows, cols);
        var m = Math.Min(rows, cols);

        // q is n×m, column-major: column j is q[j*n .. j*n+n).
        var q = new double[n * m];
        for (var i = 0; i < q.Length; i++)
        {
            q[i] = StandardNormal(rng);
        }

        for (var j = 0; j < m; j++)
        {
            var cj = q.AsSpan(j * n, n);
            for (var pass = 0; pass < 2; pass++)
            {
                for (var p = 0; p < j; p++)
                {
                    var cp = q.AsSpan(p * n, n);
                    double dot = 0;
                    for (var i = 0; i < n; i++)
                    {
                        dot += cp[i] * cj[i];
                    }

                    for (var i = 0; i < n; i++)
                    {
                        cj[i] -= dot * cp[i];
                    }
                }
            }

            double norm = 0;
            foreach (var x in cj)
            {
                norm += x * x;
            }

            norm = Math.Sqrt(norm);
            for (var i = 0; i < n; i++)
            {
                cj[i] /= norm;
            }
        }

        var s = tensor.Span;
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                // rows ≥ cols: W = Q (column c of Q is column c of W); otherwise W = Qᵀ.
                var v = rows >= cols ? q[(c * n) + r] : q[(r * n) + c];
                s[(r * cols) + c] = (float)(gain * v);
            }
        }
    }

    private static int FanIn(Tensor t) => t.Rank < 2 ? t.Length : t.Length / t.Shape[0];

    private static double StandardNormal(Random rng)
    {
        var u1 = 1.0 - rng.NextDouble();
        var u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
