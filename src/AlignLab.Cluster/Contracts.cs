using System.Text.Json.Nodes;
using AlignLab.Agents;
using AlignLab.Experiments;

namespace AlignLab.Cluster;

/// <summary>Where a job of a cluster sweep stands.</summary>
public enum JobPhase
{
    /// <summary>Accepted by a worker, waiting for a free slot (or for another worker's lease of its run to end).</summary>
    Queued,

    /// <summary>Training (or resuming) on a worker.</summary>
    Running,

    /// <summary>Trained, evaluated and stored with its result.</summary>
    Finished,

    /// <summary>Stopped by an error that retrying will not cure (the message says which).</summary>
    Failed,
}

/// <summary>What a job is: one run of a sweep, as an <see cref="ExperimentSpec"/> in a form that crosses machines.</summary>
/// <param name="Sweep">The sweep's key: jobs of one key share their runs in the store, so submitting it again resumes it.</param>
/// <param name="Index">The job's index in the sweep (0, 1, ...).</param>
/// <param name="ScenarioId">Scenario id or scenario file name.</param>
/// <param name="ScenarioText">The scenario file's YAML text, or null for a built-in id.</param>
/// <param name="Agent">Agent name.</param>
/// <param name="Steps">Training steps.</param>
/// <param name="Seed">The run's seed.</param>
/// <param name="Set">Scenario parameters.</param>
/// <param name="CurvePoints">Curve points (a checkpoint at each).</param>
/// <param name="EvalLevels">Levels per generated distribution for exact evaluation.</param>
/// <param name="Episodes">Episodes sampled per distribution.</param>
/// <param name="AgentOptions">The agent's options record as JSON (its definition's <c>ToJson</c>), already resolved for the budget and seed.</param>
/// <param name="StopAtScore">Stop score, or null.</param>
[GenerateSerializer]
[Immutable]
public sealed record JobRequest(
    [property: Id(0)] string Sweep,
    [property: Id(1)] int Index,
    [property: Id(2)] string ScenarioId,
    [property: Id(3)] string? ScenarioText,
    [property: Id(4)] string Agent,
    [property: Id(5)] long Steps,
    [property: Id(6)] ulong Seed,
    [property: Id(7)] Dictionary<string, string> Set,
    [property: Id(8)] int CurvePoints,
    [property: Id(9)] int EvalLevels,
    [property: Id(10)] int Episodes,
    [property: Id(11)] string AgentOptions,
    [property: Id(12)] double? StopAtScore)
{
    /// <summary>The job for <paramref name="spec"/>: its agent options resolved for its budget and seed, as JSON.</summary>
    /// <exception cref="Errors.UserInputException">Unknown agent or options that do not validate.</exception>
    public static JobRequest For(string sweep, int index, ExperimentSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var definition = AgentRegistry.Get(spec.Agent);
        var options = definition.Configure(spec.AgentOptions, spec.Steps, spec.Seed);
        return new JobRequest(
            sweep, index, spec.ScenarioId, spec.ScenarioText, definition.Name, spec.Steps, spec.Seed,
            new Dictionary<string, string>(spec.Set ?? new Dictionary<string, string>(), StringComparer.Ordinal),
            spec.CurvePoints, spec.EvalLevels, spec.Episodes, definition.ToJson(options).ToJsonString(), spec.StopAtScore);
    }

    /// <summary>The spec to train, with the agent options read back from their JSON.</summary>
    public ExperimentSpec ToSpec()
    {
        var definition = AgentRegistry.Get(Agent);
        var options = definition.FromJson(JsonNode.Parse(AgentOptions) as JsonObject ?? throw new InvalidDataException("the job's agent options are not a JSON object"));
        return new ExperimentSpec(ScenarioId, Agent, Steps, Seed, Set, CurvePoints, EvalLevels, Episodes)
        {
            AgentOptions = options,
            ScenarioText = ScenarioText,
            StopAtScore = StopAtScore,
        };
    }

    /// <summary>The grain key of this job: sweep key, slash, index.</summary>
    public string GrainKey => $"{Sweep}/{Index}";
}

/// <summary>A job's state as its worker reports it.</summary>
/// <param name="Phase">Queued, running, finished or failed.</param>
/// <param name="RunId">The job's run in the store, once created.</param>
/// <param name="Step">The step of the last checkpoint written.</param>
/// <param name="Worker">The worker (silo) running it.</param>
/// <param name="Resumed">Whether this worker resumed the run from a checkpoint another worker left.</param>
/// <param name="Message">Why it failed, or null.</param>
[GenerateSerializer]
[Immutable]
public sealed record JobState(
    [property: Id(0)] JobPhase Phase,
    [property: Id(1)] long? RunId,
    [property: Id(2)] long Step,
    [property: Id(3)] string Worker,
    [property: Id(4)] bool Resumed,
    [property: Id(5)] string? Message);

/// <summary>
/// One job of a cluster sweep (key <see cref="JobRequest.GrainKey"/>). Orleans keeps at most one activation of it,
/// and the run's lease in the store makes sure no two workers train the run even while a dead worker is being noticed.
/// </summary>
public interface IRunJobGrain : IGrainWithStringKey
{
    /// <summary>
    /// Starts the job on this worker unless it is already under way here (or finished in the store), and returns its
    /// state. The submitter calls it again and again: after a worker dies, the next call activates the job on another
    /// worker, which resumes its run from the last checkpoint.
    /// </summary>
    Task<JobState> Poll(JobRequest request);
}
