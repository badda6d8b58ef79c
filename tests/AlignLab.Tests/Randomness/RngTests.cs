using AlignLab.Randomness;
using CsCheck;

namespace AlignLab.Tests.Randomness;

public sealed class RngTests
{
    [Fact]
    public void TheSameSeedGivesTheSameStream()
    {
        Gen.ULong.Sample(seed =>
        {
            var a = new Rng(seed);
            var b = new Rng(seed);
            for (var i = 0; i < 32; i++)
            {
                Assert.Equal(a.NextUInt64(), b.NextUInt64());
            }
        });
    }

    [Fact]
    public void NextIntStaysInRange()
    {
        Gen.Select(Gen.ULong, Gen.Int[1, 1_000_000]).Sample((seed, n) =>
        {
            var rng = new Rng(seed);
            for (var i = 0; i < 16; i++)
            {
                var x = rng.NextInt(n);
                Assert.InRange(x, 0, n - 1);
            }
        });
    }

    [Fact]
    public void NextDoubleIsInTheUnitIntervalAndRoughlyUniform()
    {
        var rng = new Rng(1);
        var sum = 0.0;
        for (var i = 0; i < 100_000; i++)
        {
            var x = rng.NextDouble();
            Assert.InRange(x, 0.0, 0.9999999999999999);
            sum += x;
        }

        Assert.InRange(sum / 100_000, 0.497, 0.503);
    }

    [Fact]
    public void StateRoundTripsForCheckpoints()
    {
        var rng = new Rng(77);
        rng.NextUInt64();
        var copy = Rng.FromState(rng.State);
        Assert.Equal(rng.NextUInt64(), copy.NextUInt64());
    }
}
