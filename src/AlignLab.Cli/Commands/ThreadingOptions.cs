using System.CommandLine;
using System.Globalization;
using AlignLab.Nn;

namespace AlignLab.Cli.Commands;

/// <summary>
/// <c>--threads N</c> (every command that trains or solves) and <c>--jobs N</c> (commands that run several
/// independent runs: <c>sweep</c>, <c>demo</c>), both defaulting to the core count and validated (1 to
/// <see cref="MaxCount"/>) with a one-line error. Threads change only the speed: the solver's sweeps, the
/// network's products and convolutions are cut into pieces whose boundaries depend on the problem's sizes,
/// never on the thread count, so results are the same bits for every <c>--threads</c>.
/// </summary>
internal sealed class ThreadingOptions
{
    /// <summary>The most threads or concurrent runs one command accepts.</summary>
    public const int MaxCount = 1024;

    private readonly Option<int> _threads = Counted("--threads", "Threads for training and solving (the results are the same for any count).");
    private readonly Option<int>? _jobs;

    /// <summary>The options; with <paramref name="jobs"/>, <c>--jobs</c> too.</summary>
    public ThreadingOptions(bool jobs = false)
    {
        _jobs = jobs ? Counted("--jobs", "Runs trained at the same time, each on its own thread and store connection (output and results as with --jobs 1).") : null;
    }

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_threads);
        if (_jobs is not null)
        {
            command.Options.Add(_jobs);
        }
    }

    /// <summary>The <c>--jobs</c> given (or the core count); 1 when this command has no <c>--jobs</c>.</summary>
    public int Jobs(ParseResult parse) => _jobs is null ? 1 : parse.GetValue(_jobs);

    /// <summary>Sets the worker pool to <c>--threads</c> and returns the count.</summary>
    public int Apply(ParseResult parse)
    {
        var threads = parse.GetValue(_threads);
        WorkerPool.SetThreads(threads);
        return threads;
    }

    private static Option<int> Counted(string name, string description)
    {
        var option = new Option<int>(name) { Description = $"{description} Default: the core count ({Environment.ProcessorCount}).", DefaultValueFactory = _ => Environment.ProcessorCount };
        option.CustomParser = result =>
        {
            var text = result.Tokens.Count == 0 ? string.Empty : result.Tokens[^1].Value;
            if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value is < 1 or > MaxCount)
            {
                result.AddError($"{name} must be a whole number from 1 to {MaxCount}, not '{text}'.");
                return 1;
            }

            return value;
        };
        return option;
    }
}
