using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace AlignLab.Nn;

/// <summary>
/// Work cut into numbered pieces that may run on any thread, in any order: each piece must write only
/// its own outputs, so that the result does not depend on which thread ran it or when.
/// </summary>
public interface IPieceWork
{
    /// <summary>Runs piece <paramref name="piece"/> (0 ≤ piece &lt; the count given to <see cref="WorkerPool.For"/>).</summary>
    void Run(int piece);
}

/// <summary>
/// The process's persistent worker threads. <see cref="For"/> runs the pieces of one piece of work on the
/// calling thread and up to <see cref="Threads"/> − 1 helpers, and returns when all are done. It allocates
/// nothing per call, so hot loops (a solver sweep, a GEMM inside a training step) may call it every time.
/// </summary>
/// <remarks>
/// Determinism is the callers' part: they cut work into pieces whose boundaries depend only on the sizes of
/// the problem, never on the thread count, and each piece computes its outputs in the same order as the
/// sequential code would. The results are then the same bits for every thread count. One piece of work
/// runs at a time: a call made while another is running (a nested call, or another run of a sweep on its own
/// thread) runs its pieces in order on its own thread, which gives the same bits.
/// </remarks>
public static class WorkerPool
{
    /// <summary>The low half of <see cref="_claim"/> when no piece may be claimed (between two calls).</summary>
    private const long Closed = uint.MaxValue;

    /// <summary>How long an idle helper polls for the next call, and a caller for the helpers' last pieces, before blocking: 200 µs in timestamp ticks.</summary>
    private static readonly long SpinBudget = Stopwatch.Frequency / 5000;

    private static readonly Lock Gate = new();

    /// <summary>Where idle helpers sleep once their polling ends; a call wakes them only when one sleeps.</summary>
    private static readonly object SleepGate = new();
    private static readonly ManualResetEventSlim Done = new(false);
    private static int _sleepers;

    /// <summary>Helpers that may still join the open call (a call uses at most its thread count).</summary>
    private static int _tickets;
    private static readonly List<Thread> Helpers = [];
    private static int _threads = Environment.ProcessorCount;
    private static int _busy;
    private static int _concurrentRuns;
    private static IPieceWork? _work;
    private static int _pieces;
    private static int _completed;
    private static long _dispatches;
    private static Exception? _error;

    // The call's number (high half) and its next unclaimed piece (low half), claimed by compare-and-swap: a helper
    // that wakes late, after its call has ended, finds another number and claims nothing, so a call never waits
    // for a helper that has not started one of its pieces.
    private static long _claim;

    /// <summary>The most threads one piece of work runs on, the caller's included (default: the processor count).</summary>
    public static int Threads => Volatile.Read(ref _threads);

    /// <summary>The threads a call of <see cref="For"/> may use now: <see cref="Threads"/> shared among concurrent runs.</summary>
    internal static int Available => Math.Max(1, Threads - Math.Max(0, Volatile.Read(ref _concurrentRuns) - 1));

    /// <summary>Calls of <see cref="For"/> so far that ran on more than one thread (for tests and speed reports).</summary>
    public static long Dispatches => Interlocked.Read(ref _dispatches);

    /// <summary>
    /// Marks the calling thread's work, until the returned scope is disposed, as one of several independent runs
    /// executing at once on their own threads (the jobs of a sweep). While k runs are marked, a call of
    /// <see cref="For"/> uses at most <see cref="Threads"/> − (k − 1) threads, so that the runs and the pool's
    /// helpers together ask for no more threads than <see cref="Threads"/>: with two runs on two threads each run
    /// keeps its own core instead of sharing it with the other's helper. Results do not depend on it.
    /// </summary>
    public static IDisposable EnterConcurrentRun()
    {
        Interlocked.Increment(ref _concurrentRuns);
        return new ConcurrentRun();
    }

    /// <summary>Sets <see cref="Threads"/>; 1 runs everything on the calling thread. Results do not depend on it.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is less than 1.</exception>
    public static void SetThreads(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Volatile.Write(ref _threads, threads);
    }

    /// <summary>
    /// Runs <paramref name="work"/>.Run(p) for every p in [0, <paramref name="pieces"/>), spread over the
    /// workers, and returns when every piece has finished; an exception of a piece is rethrown here (the pieces
    /// not yet started are then skipped).
    /// </summary>
    public static void For(int pieces, IPieceWork work)
    {
        ArgumentNullException.ThrowIfNull(work);
        var threads = Available;
        if (pieces <= 1 || threads <= 1 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            for (var p = 0; p < pieces; p++)
            {
                work.Run(p);
            }

            return;
        }

        try
        {
            var helpers = Math.Min(threads, pieces) - 1;
            EnsureHelpers(helpers);
            var call = (Volatile.Read(ref _claim) >> 32) + 1;
            Volatile.Write(ref _claim, (call << 32) | Closed);
            _work = work;
            _pieces = pieces;
            _error = null;
            _completed = 0;
            Done.Reset();
            Volatile.Write(ref _tickets, helpers);

            // Opening the call is what polling helpers wait for; the full fence orders it before reading whether a
            // helper sleeps (a helper counts itself a sleeper before its last look at the call), so no wake-up is lost.
            Interlocked.Exchange(ref _claim, call << 32);
            Interlocked.Increment(ref _dispatches);
            if (Volatile.Read(ref _sleepers) > 0)
            {
                lock (SleepGate)
                {
                    Monitor.PulseAll(SleepGate);
                }
            }

            Drain(call);

            // The caller has nothing else to do until the helpers' last pieces end, which is usually within one
            // piece's time: it polls for that (SpinBudget) before it blocks, as waking a blocked thread costs about
            // as long as a piece.
            var until = Stopwatch.GetTimestamp() + SpinBudget;
            while (Volatile.Read(ref _completed) < pieces && Stopwatch.GetTimestamp() < until)
            {
                Thread.SpinWait(20);
            }

            Done.Wait();
            Volatile.Write(ref _claim, (call << 32) | Closed);
            _work = null;
            if (_error is { } error)
            {
                ExceptionDispatchInfo.Capture(error).Throw();
            }
        }
        finally
        {
            Volatile.Write(ref _busy, 0);
        }
    }

    /// <summary>Claims and runs pieces of call <paramref name="call"/> until none is left.</summary>
    private static void Drain(long call)
    {
        IPieceWork? work = null;
        var pieces = 0;
        while (true)
        {
            var claim = Volatile.Read(ref _claim);
            var piece = claim & uint.MaxValue;
            if (claim >> 32 != call || piece == Closed)
            {
                return;
            }

            if (work is null)
            {
                // Read once the call is known to be open: its work and count are set before it opens.
                work = _work;
                pieces = _pieces;
                Interlocked.MemoryBarrier();
                if (work is null || Volatile.Read(ref _claim) != claim)
                {
                    work = null;
                    continue;
                }
            }

            if (piece >= pieces)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _claim, claim + 1, claim) != claim)
            {
                continue;
            }

            try
            {
                if (Volatile.Read(ref _error) is null)
                {
                    work.Run((int)piece);
                }
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, e, null);
            }
            finally
            {
                if (Interlocked.Increment(ref _completed) == pieces)
                {
                    Done.Set();
                }
            }
        }
    }

    private static void EnsureHelpers(int count)
    {
        if (Helpers.Count >= count)
        {
            return;
        }

        lock (Gate)
        {
            while (Helpers.Count < count)
            {
                // The helper starts from the last call before the one being set up, so it joins that call however late it starts.
                var seen = Volatile.Read(ref _claim) >> 32;
                var thread = new Thread(() => HelperLoop(seen)) { IsBackground = true, Name = $"alignlab-worker-{Helpers.Count + 1}" };
                Helpers.Add(thread);
                thread.Start();
            }
        }
    }

    private static void HelperLoop(long seen)
    {
        while (true)
        {
            // Training loops dispatch every few tens of microseconds with a little serial work between calls;
            // waking a thread blocked in the kernel takes about as long on a virtual machine, so a helper polls for
            // the next open call for a while (SpinBudget) before it sleeps.
            var until = Stopwatch.GetTimestamp() + SpinBudget;
            while (!IsNewOpenCall(seen) && Stopwatch.GetTimestamp() < until)
            {
                Thread.SpinWait(20);
            }

            if (!IsNewOpenCall(seen))
            {
                lock (SleepGate)
                {
                    Interlocked.Increment(ref _sleepers);
                    while (!IsNewOpenCall(seen))
                    {
                        Monitor.Wait(SleepGate);
                    }

                    Interlocked.Decrement(ref _sleepers);
                }
            }

            // The call may have ended already (its claim then reads closed or another number, and Drain claims
            // nothing); a helper past the call's thread count only marks it seen. A helper that slept through a
            // whole call between its look and its ticket may take the next call's ticket and claim nothing: that
            // call then runs on one thread fewer, never wrongly.
            seen = Volatile.Read(ref _claim) >> 32;
            if (Interlocked.Decrement(ref _tickets) >= 0)
            {
                Drain(seen);
            }
        }
    }

    /// <summary>Whether a call after <paramref name="seen"/> is open for claiming.</summary>
    private static bool IsNewOpenCall(long seen)
    {
        var claim = Volatile.Read(ref _claim);
        return claim >> 32 != seen && (claim & uint.MaxValue) != Closed;
    }

    /// <summary>Ends one run's mark (once, however often it is disposed).</summary>
    private sealed class ConcurrentRun : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0)
            {
                Interlocked.Decrement(ref _concurrentRuns);
            }
        }
    }
}
