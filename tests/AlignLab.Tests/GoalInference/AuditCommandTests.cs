using System.Text.Json.Nodes;
using AlignLab.Cli.Commands;
using AlignLab.Tests.Cli;

namespace AlignLab.Tests.GoalInference;

/// <summary>The <c>audit</c> command's own checks, in process (its registration in the root command is separate).</summary>
public sealed class AuditCommandTests
{
    [Fact]
    public void ATargetThatIsNeitherARunNorAFileIsBadInput()
    {
        var code = AuditCommand.Create().Parse(["no-such-checkpoint.safetensors"]).Invoke();
        Assert.Equal(CliErrors.BadInput, code);
    }

    [Fact]
    public void ARunInAStoreThatDoesNotExistIsBadInput()
    {
        var store = Path.Combine(Path.GetTempPath(), $"alignlab-audit-{Guid.NewGuid():N}.db");
        var code = AuditCommand.Create().Parse(["1", "--store", store]).Invoke();
        Assert.Equal(CliErrors.BadInput, code);
        Assert.False(File.Exists(store));
    }

    [Fact]
    public void AStoredRunIsAuditedFromTheCommandLine()
    {
        var dir = Directory.CreateTempSubdirectory("alignlab-audit-cli-").FullName;
        try
        {
            var store = Path.Combine(dir, "runs.db");
            var (code, _, error) = CliTests.Run("train", "CheeseInTheCorner-v0", "--agent", "q", "--set", "size=5", "--steps", "3000", "--store", store);
            Assert.True(code == 0, error);
            (code, var output, error) = CliTests.Run("audit", "1", "--store", store, "--episodes", "3", "--json");
            Assert.True(code == 0, error);
            var json = JsonNode.Parse(output)!.AsObject();
            Assert.NotNull(json["pursued"] ?? json["summary"]);
            (code, output, _) = CliTests.Run("audit", "1", "--store", store, "--episodes", "3");
            Assert.Equal(0, code);
            Assert.Contains("posterior", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
