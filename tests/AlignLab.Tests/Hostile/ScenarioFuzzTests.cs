using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using AlignLab.Envs;
using AlignLab.Randomness;
using AlignLab.Scenarios;
using AlignLab.Tests.Support;

namespace AlignLab.Tests.Hostile;

/// <summary>
/// Seeded mutations of every built-in scenario file (byte flips, deleted, duplicated and swapped
/// lines, numbers made huge, negative or not numbers, map and legend symbols swapped for others):
/// each mutant either passes what <c>alignlab check</c> runs (read, compile, build every
/// distribution, the environment checker) or is refused with a located
/// <see cref="ScenarioException"/>. Any other exception, or a case that does not finish within
/// five seconds, fails the test. <c>ALIGNLAB_FUZZ_CASES</c> sets the number of cases (300 by default).
/// </summary>
public sealed partial class ScenarioFuzzTests
{
    private const int DefaultCases = 300;
    private const ulong Seed = 0x5CE0_A210_F022UL;
    private static readonly TimeSpan CaseLimit = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Replacements for a number. Sizes stay small or far too big: a map of 100×100 is checked in well under the
    /// case limit, one of 255×255 is not (the checker's cost grows with cells × steps), and anything above
    /// 65,536 cells is refused by the generators' caps; numbers are at most 10,000 so no case allocates much.
    /// </summary>
    private static readonly string[] Numbers = ["0", "1", "-1", "2", "3", "-7", "-100", "4", "7", "25", "63", "100", "999", "10000", "-10000", "0.5", "1.5", "-0.5", "NaN", "x", "''", "[1]", "{a: 1}", "$size", "$nope", "1e3"];

    /// <summary>Replacements for one character of a map, a legend key or a symbol argument.</summary>
    private const string Symbols = "#A GCMsaSkKc0123xXé\t'\"|:{}[]-$,";

    private static readonly string[] Words = ["true", "false", "train", "deploy", "goal", "step", "coin", "wander", "reach_cell", "tree_maze", "open_room", "null", "~", "&a", "*a", "!!int", "|", ">"];

    public enum Outcome
    {
        Passed,
        Located,
        Other,
        Timeout,
    }

    [Fact]
    public void MutatedScenarioFilesPassTheCheckerOrFailWithALocatedError()
    {
        var cases = int.TryParse(Environment.GetEnvironmentVariable("ALIGNLAB_FUZZ_CASES"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : DefaultCases;
        var files = Directory.GetFiles(Path.Combine(Repo.Root, "scenarios"), "*.yaml").Order(StringComparer.Ordinal)
            .Select(p => (Name: Path.GetFileName(p), Text: File.ReadAllText(p))).ToArray();
        Assert.NotEmpty(files);

        var counts = new Dictionary<Outcome, int>();
        var failures = new List<string>();
        for (var i = 0; i < cases; i++)
        {
            var (name, text) = files[i % files.Length];
            var rng = new Rng(Seed + (ulong)i);
            var (bytes, mutations) = Mutate(text, ref rng);
            var (outcome, detail) = Run(bytes, name);
            counts[outcome] = counts.GetValueOrDefault(outcome) + 1;
            if (outcome is Outcome.Other or Outcome.Timeout && failures.Count < 10)
            {
                failures.Add($"case {i} ({name}; {string.Join(", ", mutations)}): {outcome}: {detail}");
            }
        }

        var summary = $"{cases} cases: {counts.GetValueOrDefault(Outcome.Passed)} passed, {counts.GetValueOrDefault(Outcome.Located)} located error, "
            + $"{counts.GetValueOrDefault(Outcome.Other)} other, {counts.GetValueOrDefault(Outcome.Timeout)} timeout";
        if (Environment.GetEnvironmentVariable("ALIGNLAB_FUZZ_REPORT") is { Length: > 0 } report)
        {
            File.WriteAllText(report, summary + Environment.NewLine + string.Join(Environment.NewLine, failures) + Environment.NewLine);
        }

        Assert.True(failures.Count == 0, summary + Environment.NewLine + string.Join(Environment.NewLine, failures));
        Assert.True(counts.GetValueOrDefault(Outcome.Passed) > 0 && counts.GetValueOrDefault(Outcome.Located) > 0, $"the mutations should give both outcomes: {summary}");
    }

    [Fact]
    public void TheMutationsAreDeterministic()
    {
        var text = File.ReadAllText(Path.Combine(Repo.Root, "scenarios", "BoatRace-v0.yaml"));
        var a = new Rng(Seed);
        var b = new Rng(Seed);
        Assert.Equal(Mutate(text, ref a).Bytes, Mutate(text, ref b).Bytes);
    }

    /// <summary>Runs what <c>alignlab check</c> runs on the bytes of a file, on a task given <see cref="CaseLimit"/>.</summary>
    private static (Outcome Outcome, string Detail) Run(byte[] bytes, string name)
    {
        var task = Task.Run(() =>
        {
            try
            {
                var scenario = ScenarioParser.Parse(ScenarioParser.Decode(bytes, name), name);
                var problems = EnvChecker.CheckScenario(scenario);
                return problems.Count == 0 ? (Outcome.Passed, string.Empty) : (Outcome.Other, "env checker: " + string.Join(" | ", problems.Take(3)));
            }
            catch (ScenarioException e) when (e.Line > 0 || e.Source.Length > 0)
            {
                return (Outcome.Located, e.Message);
            }
            catch (Exception e)
            {
                return (Outcome.Other, e.ToString().Split('\n').Take(8).Aggregate((x, y) => x + " / " + y.Trim()));
            }
        });
        return task.Wait(CaseLimit) ? task.Result : (Outcome.Timeout, $"did not finish in {CaseLimit.TotalSeconds} s");
    }

    /// <summary>One to three mutations of the file's text, then possibly of its bytes.</summary>
    private static (byte[] Bytes, List<string> Mutations) Mutate(string text, ref Rng rng)
    {
        var lines = text.Split('\n').ToList();
        var mutations = new List<string>();
        var count = 1 + rng.NextInt(3);
        var flips = 0;
        for (var m = 0; m < count; m++)
        {
            var line = rng.NextInt(lines.Count);
            switch (rng.NextInt(8))
            {
                case 0:
                    flips++;
                    break;
                case 1 when lines.Count > 1:
                    mutations.Add($"delete line {line + 1}");
                    lines.RemoveAt(line);
                    break;
                case 2:
                    mutations.Add($"duplicate line {line + 1}");
                    lines.Insert(line, lines[line]);
                    break;
                case 3:
                    var other = rng.Bernoulli(0.5) ? Math.Min(lines.Count - 1, line + 1) : rng.NextInt(lines.Count);
                    mutations.Add($"swap lines {line + 1} and {other + 1}");
                    (lines[line], lines[other]) = (lines[other], lines[line]);
                    break;
                case 4:
                case 5:
                    ReplaceOne(NumberPattern(), lines, ref rng, Numbers, mutations, "number");
                    break;
                case 6:
                    ReplaceOne(WordPattern(), lines, ref rng, Words, mutations, "word");
                    break;
                default:
                    var target = PickLine(lines, ref rng, l => l.Length > 0);
                    if (lines[target].Length == 0)
                    {
                        break;
                    }

                    var column = rng.NextInt(lines[target].Length);
                    var symbol = Symbols[rng.NextInt(Symbols.Length)];
                    mutations.Add($"symbol '{symbol}' at line {target + 1} column {column + 1}");
                    lines[target] = lines[target][..column] + symbol + lines[target][(column + 1)..];
                    break;
            }
        }

        var bytes = Encoding.UTF8.GetBytes(string.Join('\n', lines));
        for (var f = 0; f < flips && bytes.Length > 0; f++)
        {
            var at = rng.NextInt(bytes.Length);
            var mask = (byte)(1 + rng.NextInt(255));
            mutations.Add($"byte {at} ^= 0x{mask:X2}");
            bytes[at] ^= mask;
        }

        return (bytes, mutations);
    }

    /// <summary>Replaces one match of <paramref name="pattern"/> in a line that has one.</summary>
    private static void ReplaceOne(Regex pattern, List<string> lines, ref Rng rng, string[] replacements, List<string> mutations, string what)
    {
        var index = PickLine(lines, ref rng, l => pattern.IsMatch(l));
        var matches = pattern.Matches(lines[index]);
        if (matches.Count == 0)
        {
            return;
        }

        var match = matches[rng.NextInt(matches.Count)];
        var replacement = replacements[rng.NextInt(replacements.Length)];
        mutations.Add($"{what} '{match.Value}' → '{replacement}' at line {index + 1}");
        lines[index] = lines[index][..match.Index] + replacement + lines[index][(match.Index + match.Length)..];
    }

    private static int PickLine(List<string> lines, ref Rng rng, Func<string, bool> fits)
    {
        var candidates = Enumerable.Range(0, lines.Count).Where(i => fits(lines[i])).ToList();
        return candidates.Count == 0 ? rng.NextInt(lines.Count) : candidates[rng.NextInt(candidates.Count)];
    }

    [GeneratedRegex(@"-?\d+(\.\d+)?")]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"\b(true|false|train|deploy|[a-z]+_[a-z_]+)\b")]
    private static partial Regex WordPattern();
}
