using AlignLab.Objectives;
using AlignLab.Scenarios;
using AlignLab.Solve;
using CsCheck;

namespace AlignLab.Tests.Solve;

/// <summary>
/// The compact storage of the enumerated model: interned event vectors and probabilities must
/// give exactly the values a dense, per-pair evaluation gives, and the memory the solver counts
/// must be reported and stay within the limit.
/// </summary>
public sealed class ModelStorageTests
{
    private static readonly string[] EventNames = ["a", "b", "c", "d"];

    [Fact]
    public void EqualEventVectorsShareOneIdAndDifferentOnesDoNot()
    {
        var vectors = new EventVectors(new SolverBudget("test", new SolverLimits()));
        var first = vectors.Intern([0, 1, 0, 2.5]);
        Assert.Equal(first, vectors.Intern([0, 1, 0, 2.5]));
        var zero = vectors.Intern([0, 0, 0, 0]);
        Assert.NotEqual(first, zero);
        Assert.Equal(zero, vectors.Intern([0, 0, 0, 0]));

        // One bit of difference is a different vector: interning must be exact.
        Assert.NotEqual(first, vectors.Intern([0, 1, 0, BitConverter.Int64BitsToDouble(BitConverter.DoubleToInt64Bits(2.5) + 1)]));
        Assert.NotEqual(first, vectors.Intern([0, 0, 1, 2.5]));
        Assert.Equal(4, vectors.Count);
    }

    [Fact]
    public void InternedVectorsEvaluateExactlyAsTheDenseVectorsDo()
    {
        var value = Gen.Select(Gen.Int[0, 3], Gen.Double[-5, 5]).Select((kind, x) => kind == 0 ? x : kind == 1 ? 1.0 : 0.0);
        var gen = Gen.Select(value.Array[EventNames.Length].Array[1, 40], Gen.Double[-3, 3].Array[EventNames.Length]);
        gen.Sample((dense, weights) =>
        {
            var vectors = new EventVectors(new SolverBudget("test", new SolverLimits()));
            var ids = dense.Select(v => vectors.Intern(v)).ToArray();
            var objective = new Objective("o", EventNames, weights.Select((w, e) => (e, w)));
            var values = vectors.Evaluate(objective, EventNames.Length);
            for (var i = 0; i < dense.Length; i++)
            {
                Assert.Equal(BitConverter.DoubleToInt64Bits(objective.Evaluate(dense[i])), BitConverter.DoubleToInt64Bits(values[ids[i]]));
            }

            Assert.Equal(dense.Select(v => string.Join(',', v.Select(BitConverter.DoubleToInt64Bits))).Distinct().Count(), vectors.Count);
        });
    }

    [Fact]
    public void ProbabilitiesAreInternedBitForBit()
    {
        var interner = new ValueInterner(new SolverBudget("test", new SolverLimits()));
        var half = interner.Intern(0.5);
        var third = interner.Intern(1.0 / 3);
        Assert.Equal(half, interner.Intern(0.5));
        Assert.NotEqual(third, interner.Intern(0.1 + 0.2 + 0.0333333333333333));
        Assert.Equal([0.5, 1.0 / 3, 0.1 + 0.2 + 0.0333333333333333], interner.ToArray());
    }

    [Fact]
    public void TheSolutionReportsTheBytesItCountedAndTheyStayWithinTheLimit()
    {
        var world = ScenarioRegistry.BuiltIn.Get("SideEffectsSokoban-v0").Build(new BuildOptions { Level = 2 });
        var solution = ExactSolution.Create(world);
        Assert.Equal(29_104, solution.StateCount);
        Assert.InRange(solution.ModelBytes, 29_104L * 100, SolverLimits.Default.MaxMemoryBytes);

        // A limit just under what it counted refuses the same level with one located message.
        var limits = new SolverLimits(MaxMemoryBytes: solution.ModelBytes - 1);
        var error = Assert.Throws<SolverLimitException>(() => ExactSolution.Create(world, limits));
        Assert.Contains("--max-memory", error.Message, StringComparison.Ordinal);
    }
}
