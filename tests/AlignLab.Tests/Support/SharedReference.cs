using System.Text.Json.Nodes;

namespace AlignLab.Tests.Support;

/// <summary>Finds ../shared/reference (next to the repository) and reads its recorded episodes.</summary>
internal static class SharedReference
{
    /// <summary>Why a test that needs ../shared is skipped without it.</summary>
    public const string MissingReason = "../shared/reference/aisg-traces.jsonl was not found above the test binaries (CI lays ../shared next to the repository)";

    public static string? Directory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "reference");
                if (System.IO.Directory.Exists(candidate) && File.Exists(Path.Combine(candidate, "aisg-traces.jsonl")))
                {
                    return candidate;
                }
            }

            return null;
        }
    }

    /// <summary>Skips the calling test, with <see cref="MissingReason"/>, when ../shared is missing.</summary>
    public static void SkipUnlessPresent() => Assert.SkipWhen(Directory is null, MissingReason);

    /// <summary>A reference file's records; none when ../shared is missing (test bodies call <see cref="SkipUnlessPresent"/> first).</summary>
    public static IReadOnlyList<JsonObject> Lines(string file)
    {
        if (Directory is not { } dir)
        {
            return [];
        }

        return [.. File.ReadLines(Path.Combine(dir, file)).Where(l => l.Trim().Length > 0).Select(l => (JsonObject)JsonNode.Parse(l)!)];
    }

    public static Dictionary<string, string> SetOf(JsonObject trace)
    {
        var set = new Dictionary<string, string>(StringComparer.Ordinal);
        if (trace["set"] is JsonObject obj)
        {
            foreach (var (k, v) in obj)
            {
                set[k] = v!.ToString();
            }
        }

        return set;
    }
}
