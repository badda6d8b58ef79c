using System.Runtime.Intrinsics;
using AlignLab.Nn.Kernels;
using BenchmarkDotNet.Attributes;

namespace AlignLab.Nn.Bench;

/// <summary>
/// SGEMM C = A·B at 256×256×256 (2·256³ = 33.6 MFLOP per call) on each kernel path, plus an FMA-throughput probe
/// that measures the core's attainable FP32 peak (12 independent 512-bit FMA chains).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 5, iterationCount: 15)]
public class GemmBenchmarks
{
    private const int N = 256;
    private const int ProbeIterations = 1_000_000;
    private float[] _a = null!;
    private float[] _b = null!;
    private float[] _c = null!;

    [Params("Vector512", "Vector256", "Scalar")]
    public string Path { get; set; } = "Vector512";

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(3);
        _a = MlpBenchmarks.RandomTensor(rng, N, N).Values.ToArray();
        _b = MlpBenchmarks.RandomTensor(rng, N, N).Values.ToArray();
        _c = new float[N * N];
    }

    [Benchmark(Description = "SGEMM 256x256x256")]
    public float Sgemm()
    {
        Gemm.Multiply(N, N, N, _a, false, _b, false, _c, false, Enum.Parse<GemmPath>(Path));
        return _c[0];
    }

    /// <summary>12·16·2 = 384 FLOP per iteration; 1M iterations = 384 MFLOP per call.</summary>
    [Benchmark(Description = "FMA peak probe (384 MFLOP)")]
    public float FmaProbe()
    {
        if (Path != "Vector512" || !Vector512.IsHardwareAccelerated)
        {
            return 0f;
        }

        var x = Vector512.Create(0.999999f);
        var y = Vector512.Create(1e-7f);
        Vector512<float> a0 = Vector512.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0;
        Vector512<float> a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        for (var i = 0; i < ProbeIterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, x, y);
            a1 = Vector512.FusedMultiplyAdd(a1, x, y);
            a2 = Vector512.FusedMultiplyAdd(a2, x, y);
            a3 = Vector512.FusedMultiplyAdd(a3, x, y);
            a4 = Vector512.FusedMultiplyAdd(a4, x, y);
            a5 = Vector512.FusedMultiplyAdd(a5, x, y);
            a6 = Vector512.FusedMultiplyAdd(a6, x, y);
            a7 = Vector512.FusedMultiplyAdd(a7, x, y);
            a8 = Vector512.FusedMultiplyAdd(a8, x, y);
            a9 = Vector512.FusedMultiplyAdd(a9, x, y);
            a10 = Vector512.FusedMultiplyAdd(a10, x, y);
            a11 = Vector512.FusedMultiplyAdd(a11, x, y);
        }

        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11).ToScalar();
    }

    /// <summary>A chain of dependent 512-bit FMAs (latency 4 cycles on Zen 4): 1M links, used to infer the clock.</summary>
    [Benchmark(Description = "FMA latency chain (1M links)")]
    public float FmaLatency()
    {
        if (Path != "Vector512" || !Vector512.IsHardwareAccelerated)
        {
            return 0f;
        }

        var x = Vector512.Create(0.999999f);
        var y = Vector512.Create(1e-7f);
        var a = Vector512.Create(1f);
        for (var i = 0; i < ProbeIterations; i++)
        {
            a = Vector512.FusedMultiplyAdd(a, x, y);
        }

        return a.ToScalar();
    }
}
