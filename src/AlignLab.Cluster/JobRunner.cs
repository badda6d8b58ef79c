using AlignLab.Experiments;
using AlignLab.Runs;

namespace AlignLab.Cluster;

/// <summary>
/// Runs one job of a cluster sweep on this worker, against the shared PostgreSQL store: the first worker creates the
/// job's run (the run and the job's row in one transaction) and trains it with <see cref="Experiment.Run"/>; a worker
/// that finds the run already there with a checkpoint resumes it with <see cref="Experiment.Resume"/>, which ends
/// bit-identical to an uninterrupted run; a finished run is only read. The run's lease (an advisory lock of the
/// store's connection) keeps a second worker off it while the first one is alive.
/// </summary>
internal static class JobRunner
{
    /// <summary>
    /// Trains or resumes the job and returns its final state; <paramref name="report"/> hears of each checkpoint.
    /// When <paramref name="stop"/> is cancelled the run stops at its next checkpoint (marked failed, so resumable).
    /// </summary>
    /// <exception cref="OperationCanceledException">The worker is stopping.</exception>
    /// <exception cref="RunStoreException">The store cannot be used, or another worker holds the run's lease (then try again later).</exception>
    public static JobState Run(string store, JobRequest request, string worker, Action<JobState> report, CancellationToken stop)
    {
        using var opened = RunStore.Open(store);
        if (opened is not PostgresRunStore runs)
        {
            throw new RunStoreException($"a cluster's run store must be PostgreSQL, not {opened.Path}.");
        }

        stop.ThrowIfCancellationRequested();
        var spec = request.ToSpec();
        long? runId = runs.JobRun(request.Sweep, request.Index);
        var resumed = false;
        void Checkpointed(long step)
        {
            report(new JobState(JobPhase.Running, runId, step, worker, resumed, null));
            stop.ThrowIfCancellationRequested();
        }

        if (runId is { } existing)
        {
            var info = runs.GetRun(existing);
            if (info.Status == RunStatus.Finished)
            {
                return new JobState(JobPhase.Finished, existing, runs.LatestCheckpointStep(existing) ?? 0, worker, false, null);
            }

            if (runs.LatestCheckpointStep(existing) is not null)
            {
                resumed = true;
                var recorder = RunRecorder.Open(runs, existing, Checkpointed);
                report(new JobState(JobPhase.Running, existing, runs.LatestCheckpointStep(existing) ?? 0, worker, true, null));
                runs.SetJobDiagnosis(request.Sweep, request.Index, DiagnosisJson.Write(Experiment.Resume(recorder).Diagnosis));
                return new JobState(JobPhase.Finished, existing, runs.LatestCheckpointStep(existing) ?? 0, worker, true, null);
            }

            // Created by a worker that died before the run's first checkpoint: nothing to resume from. Once its lease
            // is ours the run is marked failed, and the job gets a new run below.
            runs.ClaimRun(existing);
            runs.SetStatus(existing, RunStatus.Failed);
        }

        runs.PendingJob = (request.Sweep, request.Index);
        try
        {
            var recorder = RunRecorder.Create(runs, spec, Checkpointed);
            runId = recorder.RunId;
            report(new JobState(JobPhase.Running, runId, 0, worker, false, null));
            runs.SetJobDiagnosis(request.Sweep, request.Index, DiagnosisJson.Write(Experiment.Run(recorder.Spec, recorder).Diagnosis));
        }
        finally
        {
            runs.PendingJob = null;
        }

        return new JobState(JobPhase.Finished, runId, runs.LatestCheckpointStep(runId.Value) ?? 0, worker, false, null);
    }

    /// <summary>Whether <paramref name="e"/> means another worker holds the run's lease (so the job is tried again later).</summary>
    public static bool IsLeaseHeld(Exception e) =>
        e is RunStoreException && e.Message.Contains("is being trained or resumed by", StringComparison.Ordinal);
}
