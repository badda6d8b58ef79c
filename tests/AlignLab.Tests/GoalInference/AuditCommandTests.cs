using AlignLab.Cli.Commands;

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
}
