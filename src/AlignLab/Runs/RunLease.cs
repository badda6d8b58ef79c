using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AlignLab.Runs;

/// <summary>
/// Which process trains a run (the <c>lease</c> column of the <c>runs</c> table, see <see cref="RunStore.ClaimRun"/>):
/// its pid and start time, so a lease whose process has ended, or whose pid now belongs to another process, is
/// known to be stale.
/// </summary>
/// <param name="Pid">The process id.</param>
/// <param name="ProcessStart">When that process started (UTC), to tell it from a later process given the same pid.</param>
/// <param name="Claimed">When the lease was taken (UTC).</param>
/// <param name="Host">The machine the process runs on, where the store is shared by several (PostgreSQL); null for a local file.</param>
internal sealed record RunLease(int Pid, DateTimeOffset? ProcessStart, DateTimeOffset Claimed, string? Host = null)
{
    /// <summary>Start times of one process read at two moments differ by rounding only.</summary>
    private static readonly TimeSpan StartTolerance = TimeSpan.FromSeconds(2);

    /// <summary>A lease for this process, now.</summary>
    public static RunLease Current() => new(Environment.ProcessId, StartOf(Environment.ProcessId), DateTimeOffset.UtcNow);

    /// <summary>The lease stored as <paramref name="text"/>, or null if it cannot be read (a damaged lease holds nothing).</summary>
    public static RunLease? Parse(string text)
    {
        try
        {
            var node = JsonNode.Parse(text)?.AsObject();
            if (node?["pid"]?.GetValue<int>() is not { } pid || node["claimed"]?.GetValue<string>() is not { } claimed)
            {
                return null;
            }

            var start = node["process_start"]?.GetValue<string>();
            return new RunLease(pid, start is null ? null : Time(start), Time(claimed), node["host"]?.GetValue<string>());
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }

    /// <summary>The lease as stored.</summary>
    public string ToJson()
    {
        var json = new JsonObject
        {
            ["pid"] = Pid,
            ["process_start"] = ProcessStart?.ToString("O", CultureInfo.InvariantCulture),
            ["claimed"] = Claimed.ToString("O", CultureInfo.InvariantCulture),
        };
        if (Host is not null)
        {
            json["host"] = Host;
        }

        return json.ToJsonString();
    }

    /// <summary>Whether the lease is this process's own.</summary>
    public bool IsThisProcess() => Pid == Environment.ProcessId && SameStart(StartOf(Pid));

    /// <summary>
    /// Whether the process holding the lease is still running: a process with its pid exists and started when the
    /// lease says (where the start time can be read; otherwise the pid alone decides).
    /// </summary>
    public bool IsAlive()
    {
        try
        {
            using var process = Process.GetProcessById(Pid);
            return !process.HasExited && SameStart(StartOf(process));
        }
        catch (ArgumentException)
        {
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private bool SameStart(DateTimeOffset? start) => ProcessStart is not { } mine || start is not { } theirs || (mine - theirs).Duration() <= StartTolerance;

    private static DateTimeOffset? StartOf(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return StartOf(process);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    private static DateTimeOffset? StartOf(Process process)
    {
        try
        {
            return new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero);
        }
        catch (Exception e) when (e is InvalidOperationException or NotSupportedException or Win32Exception)
        {
            return null;
        }
    }

    private static DateTimeOffset Time(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
}
