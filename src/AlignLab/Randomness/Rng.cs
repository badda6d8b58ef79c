using System.Runtime.CompilerServices;

namespace AlignLab.Randomness;

/// <summary>
/// A seeded xoshiro256** generator. It is the only source of randomness in AlignLab: every
/// component that needs random numbers receives one, so the same seed always gives the same
/// stream, bit for bit. It is a mutable struct so that it can live inside arrays without
/// allocation; copy it only when a copy of the stream is what you mean.
/// </summary>
public struct Rng
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    /// <summary>Creates a generator whose stream is fully determined by <paramref name="seed"/>.</summary>
    public Rng(ulong seed)
    {
        // SplitMix64 expands the seed into the 256-bit state, as the xoshiro authors recommend.
        _s0 = SplitMix(ref seed);
        _s1 = SplitMix(ref seed);
        _s2 = SplitMix(ref seed);
        _s3 = SplitMix(ref seed);
    }

    /// <summary>The next 64 uniformly random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong NextUInt64()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A uniform double in [0, 1) with 53 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A uniform float in [0, 1) with 24 random bits.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float NextSingle() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>A uniform integer in [0, <paramref name="n"/>), without modulo bias (Lemire's method).</summary>
    public int NextInt(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        var bound = (ulong)n;
        var x = NextUInt64() >> 32;
        var m = x * bound;
        var low = m & 0xFFFF_FFFFUL;
        if (low < bound)
        {
            var threshold = (0x1_0000_0000UL - bound) % bound;
            while (low < threshold)
            {
                x = NextUInt64() >> 32;
                m = x * bound;
                low = m & 0xFFFF_FFFFUL;
            }
        }

        return (int)(m >> 32);
    }

    /// <summary>True with probability <paramref name="p"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Bernoulli(double p) => NextDouble() < p;

    /// <summary>A standard normal sample (Box–Muller; uses two uniforms).</summary>
    public double NextGaussian()
    {
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>
    /// A new, independent generator derived from this one's stream (advances this one). Used to
    /// give each environment of a batch its own stream from one seed.
    /// </summary>
    public Rng Split() => new(NextUInt64() ^ 0x9E37_79B9_7F4A_7C15UL);

    /// <summary>The four state words, for checkpoints: restoring them resumes the stream exactly.</summary>
    public readonly (ulong S0, ulong S1, ulong S2, ulong S3) State => (_s0, _s1, _s2, _s3);

    /// <summary>Rebuilds a generator from words read from <see cref="State"/>.</summary>
    public static Rng FromState((ulong S0, ulong S1, ulong S2, ulong S3) state)
    {
        if ((state.S0 | state.S1 | state.S2 | state.S3) == 0)
        {
            throw new ArgumentException("An all-zero xoshiro state is invalid.", nameof(state));
        }

        var rng = default(Rng);
        rng._s0 = state.S0;
        rng._s1 = state.S1;
        rng._s2 = state.S2;
        rng._s3 = state.S3;
        return rng;
    }

    private static ulong SplitMix(ref ulong x)
    {
        var z = x += 0x9E37_79B9_7F4A_7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58_476D_1CE4_E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D0_49BB_1331_11EBUL;
        return z ^ (z >> 31);
    }
}
