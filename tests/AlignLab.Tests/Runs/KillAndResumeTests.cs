using System.Diagnostics;
using System.Text.Json.Nodes;

namespace AlignLab.Tests.Runs;

/// <summary>
/// A training run of every agent, killed with SIGKILL between checkpoints, resumes with <c>train --resume</c>
/// and ends with exactly the results of an uninterrupted run with the same seed.
/// </summary>
public sealed class KillAndResumeTests
{
    public static TheoryData<string, long> Agents() => new()
    {
        { "ppo", 40_960 },
        { "dqn", 24_000 },
        { "q", 400_000 },
        { "sarsa", 400_000 },
        { "random", 400_000 },
    };

    [Theory]
    [MemberData(nameof(Agents))]
    public void AKilledRunResumesToTheSameResultAsAnUninterruptedOne(string agent, long steps)
    {
        string[] trainArgs = ["train", "CheeseInTheCorner-v0", "--agent", agent, "--set", "size=5", "--steps", steps.ToString(System.Globalization.CultureInfo.InvariantCulture), "--seed", "1"];
        var dir = Directory.CreateTempSubdirectory("alignlab-resume-").FullName;
        try
        {
            var (code, output, error) = Cli.CliTests.Run([.. trainArgs, "--store", Path.Combine(dir, "straight.db"), "--json"]);
            Assert.True(code == 0, error);
            var straight = JsonNode.Parse(output)!.AsObject();

            var killedStore = Path.Combine(dir, "killed.db");
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AlignLab.Cli.dll"));
            foreach (var a in trainArgs.Concat(["--store", killedStore]))
            {
                info.ArgumentList.Add(a);
            }

            using (var process = Process.Start(info)!)
            {
                var checkpoints = 0;
                while (process.StandardOutput.ReadLine() is { } line)
                {
                    if (line.StartsWith("checkpoint at step", StringComparison.Ordinal) && ++checkpoints == 2)
                    {
                        process.Kill(entireProcessTree: true); // SIGKILL: no chance to clean up
                        break;
                    }
                }

                process.WaitForExit();
                Assert.Equal(2, checkpoints);
            }

            var (resumeCode, resumed, resumeError) = Cli.CliTests.Run("train", "--resume", "1", "--store", killedStore, "--json");
            Assert.True(resumeCode == 0, resumeError);
            var result = JsonNode.Parse(resumed)!.AsObject();
            foreach (var key in new[] { "reward", "intended", "score_reward", "score_intended", "observed_outer_gap", "generalisation_gap", "classification", "curve", "distributions" })
            {
                Assert.True(JsonNode.DeepEquals(straight[key], result[key]), $"{key}: {straight[key]?.ToJsonString()} vs resumed {result[key]?.ToJsonString()}");
            }

            var (again, _, againError) = Cli.CliTests.Run("train", "--resume", "1", "--store", killedStore);
            Assert.Equal(2, again);
            Assert.Contains("already finished", againError, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
