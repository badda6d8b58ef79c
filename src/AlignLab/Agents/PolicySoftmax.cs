namespace AlignLab.Agents;

/// <summary>A policy network's action probabilities from its logits, computed in double precision.</summary>
internal static class PolicySoftmax
{
    /// <summary>
    /// Writes softmax(<paramref name="logits"/>) into <paramref name="probabilities"/> (the largest logit subtracted
    /// first), the one definition every network policy (PPO, steered, the VIN's planner) shares, so that equal logits
    /// give equal bits.
    /// </summary>
    public static void FromLogits(ReadOnlySpan<float> logits, Span<double> probabilities)
    {
        var max = double.NegativeInfinity;
        foreach (var l in logits)
        {
            max = Math.Max(max, l);
        }

        var sum = 0.0;
        for (var a = 0; a < logits.Length; a++)
        {
            probabilities[a] = Math.Exp(logits[a] - max);
            sum += probabilities[a];
        }

        for (var a = 0; a < logits.Length; a++)
        {
            probabilities[a] /= sum;
        }
    }
}
