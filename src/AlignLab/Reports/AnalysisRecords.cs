using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using AlignLab.Curricula;
using AlignLab.GoalInference;
using AlignLab.Grid;
using AlignLab.Interpretability;
using AlignLab.Interpretability.Steering;
using AlignLab.Mesa;
using AlignLab.Runs;
using AlignLab.TestDesign;

namespace AlignLab.Reports;

/// <summary>One layer's linear probe, as a probe analysis keeps it.</summary>
/// <param name="Layer">The layer's name ("input" for the observation itself).</param>
/// <param name="Shape">The layer's activation shape (channels, rows, columns for a convolutional layer).</param>
/// <param name="Report">The probe's held-out result and its shuffled-label control (<see cref="LinearProbe.FitWithControl"/>).</param>
/// <param name="Map">
/// For a convolutional layer probed position by position: the held-out accuracy of the probe fitted on the channels
/// at each spatial position, row-major over <paramref name="Shape"/>'s last two dimensions; null when not probed so.
/// </param>
public sealed record ProbeLayerRecord(string Layer, IReadOnlyList<int> Shape, ProbeReport Report, IReadOnlyList<double>? Map = null);

/// <summary>The pieces of a probe analysis that are drawn over the maze: per-position probes and the maze itself.</summary>
public static class ProbeMaps
{
    /// <summary>
    /// Fits the probe at each spatial position of a convolutional layer's activations, with the
    /// channels at that position as the features, and returns the held-out accuracy per position, row-major: the map
    /// <see cref="ProbeLayerRecord.Map"/> keeps. Deterministic given <paramref name="options"/>' seed.
    /// </summary>
    /// <exception cref="ArgumentException">The layer is not convolutional (its shape is not channels × rows × columns), or the labels do not match.</exception>
    public static IReadOnlyList<double> PerPosition(ActivationSet activations, IReadOnlyList<int> labels, ProbeOptions options)
    {
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(options);
        if (activations.Shape.Count != 3)
        {
            throw new ArgumentException($"layer {activations.Layer} has shape {string.Join("×", activations.Shape)}, not channels × rows × columns: it has no positions to probe.", nameof(activations));
        }

        var (channels, positions) = (activations.Shape[0], activations.Shape[1] * activations.Shape[2]);
        var size = activations.Size;
        var features = new float[activations.Count * channels];
        var map = new double[positions];
        for (var p = 0; p < positions; p++)
        {
            for (var n = 0; n < activations.Count; n++)
            {
                for (var c = 0; c < channels; c++)
                {
                    features[(n * channels) + c] = activations.Values[(n * size) + (c * positions) + p];
                }
            }

            map[p] = LinearProbe.Fit(features, activations.Count, labels, options).Accuracy.Mean;
        }

        return map;
    }

    /// <summary>The map of observation <paramref name="index"/> (one string per row, the agent drawn at its cell), to draw probe maps over.</summary>
    public static IReadOnlyList<string> Maze(ObservationSet observations, int index = 0)
    {
        ArgumentNullException.ThrowIfNull(observations);
        var world = observations.World;
        var cells = observations.CellsOf(index);
        var rows = new string[world.Height];
        for (var r = 0; r < world.Height; r++)
        {
            var row = new char[world.Width];
            for (var c = 0; c < world.Width; c++)
            {
                var cell = (r * world.Width) + c;
                row[c] = cell == observations.AgentCells[index] ? world.AgentSymbol : (char)cells[cell];
            }

            rows[r] = new string(row);
        }

        return rows;
    }
}

/// <summary>A probe analysis of a run (<c>alignlab probe</c>): one target read from every probed layer.</summary>
/// <param name="Command">The command line that produced it.</param>
/// <param name="Scenario">The run's scenario id.</param>
/// <param name="Distribution">The distribution the observations were drawn from.</param>
/// <param name="Observations">How many observations were probed (training and held-out together).</param>
/// <param name="Target">The target's name (e.g. cheese, corner-step).</param>
/// <param name="TargetMeaning">What the target's label is, in words.</param>
/// <param name="Kind">Logistic or ridge.</param>
/// <param name="Layers">One probe per layer, input first.</param>
/// <param name="Maze">The map the probe maps are drawn over (one level of the distribution, one string per row), or null.</param>
/// <param name="Readout">Full (weights over the whole flattened layer) or shared (one weight vector over all positions, a softmax over cells).</param>
public sealed record ProbeAnalysis(
    string Command, string Scenario, string Distribution, int Observations, string Target, string TargetMeaning, ProbeKind Kind,
    IReadOnlyList<ProbeLayerRecord> Layers, IReadOnlyList<string>? Maze = null, ProbeReadout Readout = ProbeReadout.Full);

/// <summary>A steering analysis of a run (<c>alignlab steer</c>).</summary>
/// <param name="Command">The command line that produced it.</param>
/// <param name="Scenario">The run's scenario id.</param>
/// <param name="Agent">The run's agent (ppo, dqn).</param>
/// <param name="Result">The experiment's exact result.</param>
public sealed record SteeringAnalysis(string Command, string Scenario, string Agent, SteeringResult Result);

/// <summary>A goal audit of a run (<c>alignlab audit</c>).</summary>
/// <param name="Command">The command line that produced it.</param>
/// <param name="Audit">The posterior over the candidate goals, episode by episode.</param>
public sealed record AuditAnalysis(string Command, GoalAudit Audit);

/// <summary>Designed tests and red-teaming of a run (<c>alignlab redteam</c>).</summary>
/// <param name="Command">The command line that produced it.</param>
/// <param name="Report">Every strategy's runs and medians.</param>
public sealed record RedTeamAnalysis(string Command, RedTeamReport Report);

/// <summary>The mesa-objective of a value-iteration-network run, read and edited on one distribution (<c>alignlab mesa</c>).</summary>
/// <param name="Command">The command line that produced it.</param>
/// <param name="Scenario">The run's scenario id.</param>
/// <param name="Iterations">K, the network's value-iteration steps.</param>
/// <param name="Coordinates">Whether the network has coordinate channels (CoordConv).</param>
/// <param name="Shown">The level (index in <see cref="MesaSummary.Levels"/>) the command drew.</param>
/// <param name="Summary">Every level's reading, the agreement with behaviour and the edits.</param>
public sealed record MesaAnalysisRecord(string Command, string Scenario, int Iterations, bool Coordinates, int Shown, MesaSummary Summary);

/// <summary>
/// A comparison of curricula across α (<c>alignlab curricula</c>): PPO trained through DR, PLR⊥ and ACCEL at each α over
/// seeds, each final policy measured exactly on the deployment levels. It is kept as the analysis of a run of its own,
/// which stands for the comparison (the seeds' trained policies are not stored).
/// </summary>
/// <param name="Command">The command line that produced it.</param>
/// <param name="Table">
/// What was compared (scenario, parameters, preset and PPO options, methods, level scores, α values, seeds, steps,
/// evaluation levels, the other curriculum settings) and every method × score × α cell: each seed's deploy score, the
/// means with their Student-t 95% intervals over seeds, the mean exact oracle regret and the Spearman ρ of each
/// estimated regret (PVL, MaxMC) against it.
/// </param>
public sealed record CurriculumAnalysis(string Command, ComparisonTable Table);

/// <summary>An analysis read back from the store, with the store's id and time.</summary>
/// <typeparam name="T">The kind's record.</typeparam>
/// <param name="Id">The analysis's id in the store.</param>
/// <param name="Created">When it was saved (UTC).</param>
/// <param name="Analysis">The analysis.</param>
public sealed record StoredAnalysis<T>(long Id, DateTimeOffset Created, T Analysis);

/// <summary>The analyses of one run the report draws, by kind, each oldest first.</summary>
public sealed record RunAnalyses
{
    /// <summary>Linear probes (<c>alignlab probe</c>).</summary>
    public IReadOnlyList<StoredAnalysis<ProbeAnalysis>> Probes { get; init; } = [];

    /// <summary>Steering experiments (<c>alignlab steer</c>).</summary>
    public IReadOnlyList<StoredAnalysis<SteeringAnalysis>> Steering { get; init; } = [];

    /// <summary>Goal audits (<c>alignlab audit</c>).</summary>
    public IReadOnlyList<StoredAnalysis<AuditAnalysis>> Audits { get; init; } = [];

    /// <summary>Designed tests and red-teaming (<c>alignlab redteam</c>).</summary>
    public IReadOnlyList<StoredAnalysis<RedTeamAnalysis>> RedTeams { get; init; } = [];

    /// <summary>Mesa-objective readings (<c>alignlab mesa</c>).</summary>
    public IReadOnlyList<StoredAnalysis<MesaAnalysisRecord>> Mesa { get; init; } = [];

    /// <summary>Curriculum comparisons (<c>alignlab curricula</c>).</summary>
    public IReadOnlyList<StoredAnalysis<CurriculumAnalysis>> Curricula { get; init; } = [];

    /// <summary>
    /// Reads every analysis in <paramref name="records"/> as its kind's record; one that cannot be read is left out and
    /// its reason added to <paramref name="problems"/> (one line each).
    /// </summary>
    public static RunAnalyses From(IEnumerable<AnalysisRecord> records, ICollection<string> problems)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(problems);
        List<StoredAnalysis<ProbeAnalysis>> probes = [];
        List<StoredAnalysis<SteeringAnalysis>> steering = [];
        List<StoredAnalysis<AuditAnalysis>> audits = [];
        List<StoredAnalysis<RedTeamAnalysis>> redTeams = [];
        List<StoredAnalysis<MesaAnalysisRecord>> mesa = [];
        List<StoredAnalysis<CurriculumAnalysis>> curricula = [];
        foreach (var record in records)
        {
            try
            {
                switch (record.Kind)
                {
                    case AnalysisKinds.Probe: probes.Add(AnalysisJson.Read<ProbeAnalysis>(record)); break;
                    case AnalysisKinds.Steer: steering.Add(AnalysisJson.Read<SteeringAnalysis>(record)); break;
                    case AnalysisKinds.Audit: audits.Add(AnalysisJson.Read<AuditAnalysis>(record)); break;
                    case AnalysisKinds.RedTeam: redTeams.Add(AnalysisJson.Read<RedTeamAnalysis>(record)); break;
                    case AnalysisKinds.Mesa: mesa.Add(AnalysisJson.Read<MesaAnalysisRecord>(record)); break;
                    case AnalysisKinds.Curricula: curricula.Add(AnalysisJson.Read<CurriculumAnalysis>(record)); break;
                    default: throw new RunStoreException(string.Create(CultureInfo.InvariantCulture, $"analysis {record.Id} of run {record.RunId} is of a kind this AlignLab does not know ('{record.Kind}')."));
                }
            }
            catch (RunStoreException e)
            {
                problems.Add(e.Message);
            }
        }

        return new RunAnalyses { Probes = probes, Steering = steering, Audits = audits, RedTeams = redTeams, Mesa = mesa, Curricula = curricula };
    }

    /// <summary>Whether there is no analysis to draw.</summary>
    [JsonIgnore]
    public bool IsEmpty => Probes.Count + Steering.Count + Audits.Count + RedTeams.Count + Mesa.Count + Curricula.Count == 0;
}

/// <summary>
/// The stored form of the analyses (<see cref="RunStore.SaveAnalysis"/>): each kind's record as JSON, snake_case names,
/// NaN and infinities written as strings, enums by name, levels as their rows. What is written is read back equal.
/// </summary>
public static class AnalysisJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower), new GridLevelConverter() },
    };

    /// <summary>The kind (<see cref="AnalysisKinds"/>) an analysis record is stored as.</summary>
    /// <exception cref="ArgumentException">Not an analysis record.</exception>
    public static string KindOf(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return type == typeof(ProbeAnalysis) ? AnalysisKinds.Probe
            : type == typeof(SteeringAnalysis) ? AnalysisKinds.Steer
            : type == typeof(AuditAnalysis) ? AnalysisKinds.Audit
            : type == typeof(RedTeamAnalysis) ? AnalysisKinds.RedTeam
            : type == typeof(MesaAnalysisRecord) ? AnalysisKinds.Mesa
            : type == typeof(CurriculumAnalysis) ? AnalysisKinds.Curricula
            : throw new ArgumentException($"{type.Name} is not an analysis record.", nameof(type));
    }

    /// <summary>The analysis as the JSON the store keeps.</summary>
    public static string ToJson<T>(T analysis)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(analysis);
        KindOf(typeof(T));
        return JsonSerializer.Serialize(analysis, Options);
    }

    /// <summary>Saves <paramref name="analysis"/> as an analysis of run <paramref name="runId"/> and returns its id.</summary>
    /// <exception cref="RunStoreException">No such run, or the store was opened read-only.</exception>
    public static long Save<T>(RunStore store, long runId, T analysis)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.SaveAnalysis(runId, KindOf(typeof(T)), ToJson(analysis));
    }

    /// <summary>Reads a stored analysis as the record of its kind.</summary>
    /// <exception cref="RunStoreException">The analysis is of another kind, or its JSON is not that kind's record.</exception>
    public static StoredAnalysis<T> Read<T>(AnalysisRecord record)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(record);
        var kind = KindOf(typeof(T));
        var where = string.Create(CultureInfo.InvariantCulture, $"analysis {record.Id} of run {record.RunId}");
        if (record.Kind != kind)
        {
            throw new RunStoreException($"{where} is of kind {record.Kind}, not {kind}.");
        }

        try
        {
            var analysis = JsonSerializer.Deserialize<T>(record.Json, Options) ?? throw new JsonException("it is null");
            return new StoredAnalysis<T>(record.Id, record.Created, analysis);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or NotSupportedException or OverflowException)
        {
            throw new RunStoreException($"{where} ({kind}) cannot be read: {e.Message.ReplaceLineEndings(" ")}", e);
        }
    }

    /// <summary>A level as its height, width, rows (map characters, the tile under the agent at its start) and the agent's start cell.</summary>
    private sealed class GridLevelConverter : JsonConverter<GridLevel>
    {
        public override GridLevel Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var shape = JsonSerializer.Deserialize<LevelShape>(ref reader, options) ?? throw new JsonException("a level is null");
            if (shape.Rows.Count != shape.Height || shape.Rows.Any(r => r.Length != shape.Width))
            {
                throw new JsonException(string.Create(CultureInfo.InvariantCulture, $"a level's rows are not {shape.Height} rows of {shape.Width} cells"));
            }

            var cells = new byte[shape.Height * shape.Width];
            for (var r = 0; r < shape.Height; r++)
            {
                for (var c = 0; c < shape.Width; c++)
                {
                    cells[(r * shape.Width) + c] = checked((byte)shape.Rows[r][c]);
                }
            }

            return new GridLevel(shape.Height, shape.Width, cells, shape.AgentStart);
        }

        public override void Write(Utf8JsonWriter writer, GridLevel value, JsonSerializerOptions options)
        {
            var rows = Enumerable.Range(0, value.Height).Select(r => new string([.. value.CellsView.Skip(r * value.Width).Take(value.Width).Select(b => (char)b)])).ToList();
            JsonSerializer.Serialize(writer, new LevelShape(value.Height, value.Width, rows, value.AgentStart), options);
        }

        private sealed record LevelShape(int Height, int Width, IReadOnlyList<string> Rows, int AgentStart);
    }
}
