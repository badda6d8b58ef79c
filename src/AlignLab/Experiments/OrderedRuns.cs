using System.Runtime.ExceptionServices;
using AlignLab.Nn;

namespace AlignLab.Experiments;

/// <summary>
/// Independent runs 0 … count−1 (the runs of a sweep, the entries of the demo) executed by up to
/// <c>jobs</c> threads, started in index order and read back in index order, so a command prints what it
/// printed one run at a time. A run's step that must happen in index order (creating its record in the
/// store, so that run ids follow the runs' order) goes through the function each run is given. With one job, nothing
/// runs ahead: run i starts when its result is first asked for, on the asking thread, exactly as before.
/// </summary>
/// <typeparam name="T">A run's result.</typeparam>
internal sealed class OrderedRuns<T> : IDisposable
{
    private readonly Func<int, Action<Action>, T> _run;
    private readonly int _count;
    private readonly T[] _results;
    private readonly ExceptionDispatchInfo?[] _errors;
    private readonly bool[] _done;
    private readonly Thread[] _threads;
    private readonly object _lock = new();
    private readonly bool[] _passed;
    private int _next;
    private int _ordered;
    private bool _stopped;

    /// <summary>
    /// Starts the runs on <paramref name="jobs"/> threads (none when 1: see the class summary).
    /// <paramref name="run"/> receives the run's index and a function that runs an action in index order.
    /// </summary>
    public OrderedRuns(int count, int jobs, Func<int, Action<Action>, T> run)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(jobs, 1);
        _run = run;
        _count = count;
        _results = new T[count];
        _errors = new ExceptionDispatchInfo?[count];
        _done = new bool[count];
        _passed = new bool[count];
        _threads = jobs == 1 ? [] : new Thread[Math.Min(jobs, count)];
        for (var t = 0; t < _threads.Length; t++)
        {
            _threads[t] = new Thread(Work) { IsBackground = true, Name = $"alignlab-run-{t + 1}" };
            _threads[t].Start();
        }
    }

    /// <summary>Run <paramref name="index"/>'s result, waiting for it; a run that threw rethrows here, and no further run starts.</summary>
    public T Result(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _count);
        if (_threads.Length == 0)
        {
            while (!_done[index])
            {
                Execute(_next++);
            }
        }
        else
        {
            lock (_lock)
            {
                while (!_done[index])
                {
                    Monitor.Wait(_lock);
                }
            }
        }

        if (_errors[index] is { } error)
        {
            Stop();
            error.Throw();
        }

        return _results[index];
    }

    /// <summary>
    /// Runs <paramref name="action"/> for run <paramref name="index"/> once every earlier run has passed its own
    /// ordered step (or ended without it); at most once per run.
    /// </summary>
    private void InOrder(int index, Action action)
    {
        ArgumentNullException.ThrowIfNull(action);
        lock (_lock)
        {
            while (_ordered < index)
            {
                Monitor.Wait(_lock);
            }
        }

        try
        {
            action();
        }
        finally
        {
            Pass(index);
        }
    }

    /// <summary>Starts no further run and waits for the running ones to end.</summary>
    public void Dispose()
    {
        Stop();
        foreach (var thread in _threads)
        {
            thread.Join();
        }
    }

    private void Stop()
    {
        lock (_lock)
        {
            _stopped = true;
            Monitor.PulseAll(_lock);
        }
    }

    private void Work()
    {
        while (true)
        {
            int index;
            lock (_lock)
            {
                if (_stopped || _next >= _count)
                {
                    return;
                }

                index = _next++;
            }

            Execute(index);
        }
    }

    private void Execute(int index)
    {
        // Runs on several threads at once share the worker pool's threads among them (WorkerPool.EnterConcurrentRun).
        using var concurrent = _threads.Length > 1 ? WorkerPool.EnterConcurrentRun() : null;
        try
        {
            _results[index] = _run(index, action => InOrder(index, action));
        }
        catch (Exception e)
        {
            _errors[index] = ExceptionDispatchInfo.Capture(e);
        }
        finally
        {
            Pass(index);
            lock (_lock)
            {
                _done[index] = true;
                if (_errors[index] is not null)
                {
                    _stopped = true;
                }

                Monitor.PulseAll(_lock);
            }
        }
    }

    /// <summary>Marks run <paramref name="index"/>'s ordered step as passed (if it has not been).</summary>
    private void Pass(int index)
    {
        lock (_lock)
        {
            _passed[index] = true;
            while (_ordered < _count && _passed[_ordered])
            {
                _ordered++;
            }

            Monitor.PulseAll(_lock);
        }
    }
}
