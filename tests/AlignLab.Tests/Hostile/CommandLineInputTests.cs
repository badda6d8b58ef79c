namespace AlignLab.Tests.Hostile;

/// <summary>
/// Issue 17's command-line items: parser errors, contradictory or ignored flags, huge sweep ranges and output
/// paths that cannot be written, each with the audit's input: exit 2, one line on stderr, nothing on stdout.
/// </summary>
public sealed class CommandLineInputTests
{
    [Theory]
    [InlineData("play|BoatRace-v0|--actoins|RR", "unknown option '--actoins' for 'play' (did you mean '--actions'?)")]
    [InlineData("train|BoatRace-v0|--seed|-1", "'-1' is not a whole number from 0 to 18446744073709551615")]
    [InlineData("train|BoatRace-v0|--seed|18446744073709551616", "'18446744073709551616' is not a whole number")]
    [InlineData("play|DistributionalShift-v0|--actions|R|--level|99999999999", "'99999999999' is not a whole number")]
    [InlineData("runs|show|abc", "'abc' is not a whole number")]
    [InlineData("trian", "unknown command 'trian' (did you mean 'train'?)")]
    [InlineData("runs", "'runs' needs a command")]
    [InlineData("train|BoatRace-v0|--agent|ppo|--ppo|num-envs=0", "ppo options: NumEnvs ('0') must be greater than or equal to '1'.")]
    [InlineData("play|BoatRace-v0|--traces|x.jsonl", "give no scenario id")]
    [InlineData("diagnose|1|--scenario|BoatRace-v0", "run 1 knows its scenario")]
    [InlineData("train|BoatRace-v0|--agent|q|--resume|3", "give no scenario id or training options")]
    [InlineData("train|--resume|3|--steps|10", "give no scenario id or training options")]
    [InlineData("sweep|CheeseInTheCorner-v0|--set|corner_size=5|--param|corner_size=1..3", "corner_size is swept by --param and fixed by --set")]
    [InlineData("sweep|CheeseInTheCorner-v0|--param|corner_size=1..2000000000", "sweeps 2,000,000,000 values; a sweep runs at most 1,000")]
    [InlineData("sweep|CheeseInTheCorner-v0|--param|corner_size=1..2147483647", "sweeps 2,147,483,647 values")]
    [InlineData("train|BoatRace-v0|--store|", "--store needs a file name")]
    [InlineData("report|1|--out|/proc", "is a directory")]
    [InlineData("demo|--quick|--out|/proc/alignlab-report.html", "cannot be written")]
    public void BadCommandLinesGetOneLineAndExitTwo(string args, string expected)
    {
        var (code, output, error) = Cli.CliTests.Run(args.Split('|'));
        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Single(error.Trim().Split('\n'));
        Assert.DoesNotContain("System.", error, StringComparison.Ordinal);
        Assert.DoesNotContain("(Parameter", error, StringComparison.Ordinal);
        Assert.Equal(string.Empty, output.Trim());
    }

    [Fact]
    public void ATraceLineWhoseSetIsNotAnObjectIsRefused()
    {
        var file = Path.Combine(Path.GetTempPath(), $"alignlab-traces-{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(file, """{"id": "BoatRace-v0", "set": "notamap", "actions": "RR"}""" + "\n");
        try
        {
            var (code, _, error) = Cli.CliTests.Run("play", "--traces", file);
            Assert.Equal(2, code);
            Assert.Contains("\"set\" must be an object", error, StringComparison.Ordinal);
            Assert.Single(error.Trim().Split('\n'));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
