using System.Text.Json.Nodes;

namespace AlignLab.Tests.Support;

/// <summary>Finds ../shared/reference (next to the repository) and reads its recorded episodes.</summary>
internal static class SharedReference
{
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
