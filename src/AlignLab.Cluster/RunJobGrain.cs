using AlignLab.Errors;
using Orleans.Placement;

namespace AlignLab.Cluster;

/// <summary>
/// A job on a worker: <see cref="Poll"/> starts it on a thread of its own (off the grain's scheduler) once a slot is
/// free, and reports its state. Placed on the worker with the fewest activations, so a sweep spreads over the workers.
/// </summary>
[ActivationCountBasedPlacement]
internal sealed class RunJobGrain(WorkerSlots slots) : Grain, IRunJobGrain
{
    private Task? _work;
    private volatile JobState? _state;

    public Task<JobState> Poll(JobRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (_work is null || (_work.IsCompleted && _state is { Phase: JobPhase.Queued }))
        {
            _state = new JobState(JobPhase.Queued, _state?.RunId, _state?.Step ?? 0, slots.Name, false, null);
            _work = Task.Factory.StartNew(() => JobWork.RunAsync(slots, request, () => _state!, state => _state = state), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
        }

        return Task.FromResult(_state!);
    }
}

/// <summary>A job's work on its worker thread, outside the grain's scheduler.</summary>
internal static class JobWork
{
    /// <summary>Waits for a slot, runs the job, and keeps its state current through <paramref name="set"/>.</summary>
    public static async Task RunAsync(WorkerSlots slots, JobRequest request, Func<JobState> get, Action<JobState> set)
    {
        var worker = slots.Name;
        try
        {
            await slots.WaitAsync().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            set(JobRunner.Run(slots.Options.Store, request, worker, set, slots.Stopping));
        }
        catch (OperationCanceledException)
        {
            // The worker is stopping: the run stopped at a checkpoint; another worker resumes it.
            set(get() with { Phase = JobPhase.Queued });
        }
        catch (Exception e) when (JobRunner.IsLeaseHeld(e))
        {
            // Another worker (one being declared dead, or a duplicate activation) still holds the run: try again on the next poll.
            set(get() with { Phase = JobPhase.Queued, Message = e.Message });
        }
        catch (Exception e) when (e is UserInputException or Runs.RunStoreException or InvalidDataException)
        {
            set(get() with { Phase = JobPhase.Failed, Message = e.Message });
        }
#pragma warning disable CA1031 // A job's failure is reported to the submitter, never allowed to take the worker down.
        catch (Exception e)
#pragma warning restore CA1031
        {
            set(get() with { Phase = JobPhase.Failed, Message = $"{e.GetType().Name}: {e.Message}" });
        }
        finally
        {
            slots.Release();
        }
    }
}
