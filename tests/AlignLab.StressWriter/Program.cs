using System.Globalization;
using System.Text.Json.Nodes;
using AlignLab.Runs;

namespace AlignLab.StressWriter;

/// <summary>
/// <c>AlignLab.StressWriter STORE [COUNT]</c>: writes COUNT (default 1000) complete runs to the run store
/// STORE, each with <see cref="Steps"/> metric batches of <see cref="Names"/> names, <see cref="Steps"/>
/// 64 KiB checkpoints, <see cref="Episodes"/> episodes and a result, printing <c>committed ID</c> after
/// each. RunStoreTests kills it mid-write with SIGKILL and then checks the store's integrity.
/// </summary>
internal static class Program
{
    /// <summary>Metric names per batch.</summary>
    private const int Names = 8;

    /// <summary>Metric batches (and checkpoints) per run.</summary>
    private const int Steps = 10;

    /// <summary>Episodes per run.</summary>
    private const int Episodes = 5;

    private static int Main(string[] args)
    {
        if (args.Length is < 1 or > 2)
        {
            Console.Error.WriteLine("usage: AlignLab.StressWriter STORE [COUNT]");
            return 2;
        }

        var count = args.Length > 1 ? int.Parse(args[1], NumberStyles.Integer, CultureInfo.InvariantCulture) : 1000;
        using var store = RunStore.Open(args[0]);
        var names = RunMetrics.Names.Order(StringComparer.Ordinal).Take(Names).ToList();
        var blob = new byte[64 * 1024];
        for (var n = 0; n < count; n++)
        {
            var id = store.CreateRun(new RunConfig("BoatRace-v0", "stress", (ulong)n, HyperParameters: new JsonObject { ["n"] = n }));
            for (var step = 0; step < Steps; step++)
            {
                store.AppendMetrics(id, step * 100, names.ToDictionary(x => x, x => (double)step, StringComparer.Ordinal));
                blob.AsSpan().Fill((byte)step);
                store.SaveCheckpoint(id, step * 100, blob, [(byte)step]);
            }

            store.AddEpisodes(id, Enumerable.Range(0, Episodes).Select(i => new EpisodeRecord("train", 0, i, i, -i, new Dictionary<string, double> { ["g"] = i }, ["g"], "RLRL")));
            store.SetResult(id, $"{{\"complete\":true,\"run\":{id}}}");
            Console.WriteLine($"committed {id}");
            Console.Out.Flush();
        }

        return 0;
    }
}
