using System.Text.Json;
using System.Text.Json.Serialization;
using AlignLab.Diagnostics;

namespace AlignLab.Cluster;

/// <summary>A run's <see cref="Diagnosis"/> as JSON, kept with its cluster job (NaN and infinities as named literals).</summary>
internal static class DiagnosisJson
{
    private static readonly JsonSerializerOptions Options = new()
    {
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter() },
    };

    public static string Write(Diagnosis diagnosis) => JsonSerializer.Serialize(diagnosis, Options);

    /// <exception cref="Runs.RunStoreException">The stored text is not a diagnosis.</exception>
    public static Diagnosis Read(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<Diagnosis>(json, Options) ?? throw new JsonException("null");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            throw new Runs.RunStoreException($"a cluster job's stored goal attribution cannot be read ({e.Message}).", e);
        }
    }
}
