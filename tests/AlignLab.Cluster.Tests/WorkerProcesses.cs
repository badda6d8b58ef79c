using System.Diagnostics;

namespace AlignLab.Cluster.Tests;

/// <summary><c>alignlab worker</c> processes started by a test, killed when it ends.</summary>
internal sealed class WorkerProcesses : IDisposable
{
    private readonly List<Process> _workers = [];

    /// <summary>Starts a worker of <paramref name="cluster"/> named <paramref name="name"/> and waits until it has joined.</summary>
    public Process Start(string cluster, string name)
    {
        var process = Process.Start(Cli.Start("worker", "--cluster", cluster, "--name", name))!;
        _workers.Add(process);
        var joined = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("joined the cluster", StringComparison.Ordinal) == true)
            {
                joined.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Assert.True(joined.Task.Wait(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken), $"worker {name} did not join the cluster");
        return process;
    }

    public void Dispose()
    {
        foreach (var worker in _workers)
        {
            if (!worker.HasExited)
            {
                worker.Kill();
                worker.WaitForExit();
            }

            worker.Dispose();
        }
    }
}
