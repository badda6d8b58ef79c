using System.Runtime.CompilerServices;
using AlignLab.Cli.Commands;
using AlignLab.Errors;
using AlignLab.Runs;
using AlignLab.Scenarios;

namespace AlignLab.Tests.Cli;

/// <summary>
/// How the command line reports failures: bad user input is one <c>error:</c> line and exit code 2; any
/// other exception is an internal error, one line naming a log file that holds the stack trace, exit code 70.
/// </summary>
public sealed class CliErrorsTests : IDisposable
{
    private readonly string _logs = Directory.CreateTempSubdirectory("alignlab-errors-").FullName;

    public void Dispose() => Directory.Delete(_logs, recursive: true);

    [Fact]
    public void AnInternalErrorIsOneLineNamingALogWithTheStackTraceAndExit70()
    {
        var error = new StringWriter();
        var code = CliErrors.Run(BrokenCommand, error, _logs);

        Assert.Equal(CliErrors.InternalError, code);
        Assert.Equal(70, code);
        var line = Assert.Single(Lines(error));
        var log = Assert.Single(Directory.GetFiles(_logs));
        Assert.Contains(log, line, StringComparison.Ordinal);
        Assert.Contains("internal error", line, StringComparison.Ordinal);
        Assert.Contains("report", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", line, StringComparison.Ordinal);

        var text = File.ReadAllText(log);
        Assert.Contains("System.InvalidOperationException: an invariant of the command broke", text, StringComparison.Ordinal);
        Assert.Contains($"   at {typeof(CliErrorsTests).FullName}.{nameof(BrokenCommand)}", text, StringComparison.Ordinal);
    }

    [Fact]
    public void AnInternalErrorWhoseLogCannotBeWrittenSaysSoInItsOneLine()
    {
        var missing = Path.Combine(_logs, "no-such-directory");
        var error = new StringWriter();
        var code = CliErrors.Run(BrokenCommand, error, missing);

        Assert.Equal(70, code);
        var line = Assert.Single(Lines(error));
        Assert.Contains("an invariant of the command broke", line, StringComparison.Ordinal);
        Assert.Contains("could not be written", line, StringComparison.Ordinal);
        Assert.Contains(missing, line, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(_logs));
    }

    [Fact]
    public void AnArgumentExceptionIsNoLongerMistakenForBadInput()
    {
        var error = new StringWriter();
        Assert.Equal(70, CliErrors.Run(() => throw new ArgumentOutOfRangeException("index", "a bug, not the user's input"), error, _logs));
        Assert.Single(Directory.GetFiles(_logs));
    }

    [Theory]
    [InlineData("user")]
    [InlineData("usage")]
    [InlineData("scenario")]
    [InlineData("store")]
    [InlineData("missing file")]
    public void BadUserInputIsOneErrorLineAndExit2WithNoLog(string kind)
    {
        Exception exception = kind switch
        {
            "user" => new UserInputException("unknown thing 'x'"),
            "usage" => new UsageException("unknown thing 'x'"),
            "scenario" => new ScenarioException("unknown thing 'x'"),
            "store" => new RunStoreException("unknown thing 'x'"),
            _ => new FileNotFoundException("unknown thing 'x'"),
        };
        var error = new StringWriter();
        var code = CliErrors.Run(() => throw exception, error, _logs);

        Assert.Equal(CliErrors.BadInput, code);
        Assert.Equal(2, code);
        Assert.Equal("error: unknown thing 'x'", Assert.Single(Lines(error)));
        Assert.Empty(Directory.GetFileSystemEntries(_logs));
    }

    [Fact]
    public void UsageExceptionIsAUserInputException() =>
        Assert.IsAssignableFrom<UserInputException>(new UsageException("x"));

    [Fact]
    public void ASuccessfulCommandKeepsItsExitCodeAndWritesNothing()
    {
        var error = new StringWriter();
        Assert.Equal(3, CliErrors.Run(() => 3, error, _logs));
        Assert.Equal(string.Empty, error.ToString());
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int BrokenCommand() => throw new InvalidOperationException("an invariant of the command broke");

    private static string[] Lines(StringWriter writer) => writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
