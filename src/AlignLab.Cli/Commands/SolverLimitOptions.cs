using System.CommandLine;
using AlignLab.Errors;
using AlignLab.Solve;

namespace AlignLab.Cli.Commands;

/// <summary>
/// The options that bound the exact solver, shared by every command that solves levels
/// (<c>solve</c>, <c>train</c>, <c>diagnose</c>, <c>sweep</c>): <c>--max-states N</c> and
/// <c>--max-memory SIZE</c> (e.g. 8GB, 512MB). A level past a limit stops the command with one
/// line naming the limit and the states reached.
/// </summary>
internal sealed class SolverLimitOptions
{
    private readonly Option<int?> _maxStates = new("--max-states") { Description = $"Most reachable states the exact solver enumerates per level (default {SolverLimits.DefaultMaxStates:N0})." };
    private readonly Option<string?> _maxMemory = new("--max-memory") { Description = $"Most memory the exact solver's model and value tables may take per level, e.g. 8GB, 512MB (default {SolverLimits.FormatBytes(SolverLimits.Default.MaxMemoryBytes)})." };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_maxStates);
        command.Options.Add(_maxMemory);
    }

    /// <summary>The limits the command line asks for (the defaults for those not given).</summary>
    /// <exception cref="UserInputException">A limit that is not a positive number or size.</exception>
    public SolverLimits Resolve(ParseResult parse)
    {
        var limits = SolverLimits.Default;
        if (parse.GetValue(_maxStates) is { } states)
        {
            limits = states >= 1 ? limits with { MaxStates = states } : throw new UserInputException($"--max-states must be at least 1, not {states}.");
        }

        if (parse.GetValue(_maxMemory) is { } memory)
        {
            limits = limits with { MaxMemoryBytes = SolverLimits.ParseBytes(memory, "--max-memory") };
        }

        return limits;
    }
}
