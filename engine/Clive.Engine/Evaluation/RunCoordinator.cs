using Clive.Store.Cells;

namespace Clive.Engine.Evaluation;

/// <summary>
/// Runs in flight, by key: a newer evaluation that needs the same key joins the run instead of
/// starting another, and a run that no evaluation wants any more is cancelled (a newer change
/// made it obsolete). At most <c>jobs</c> runs execute at once.
/// </summary>
public sealed class RunCoordinator(int jobs)
{
    private readonly object _gate = new();
    private readonly Dictionary<string, InFlight> _running = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _slots = new(jobs, jobs);
    private readonly Dictionary<string, CellResult> _results = new(StringComparer.Ordinal);

    public int Jobs => jobs;

    /// <summary>A result this process already knows, to skip the store on evaluations with nothing changed.</summary>
    public CellResult? Known(string key)
    {
        lock (_gate) return _results.GetValueOrDefault(key);
    }

    public void Remember(string key, CellResult result)
    {
        lock (_gate)
        {
            if (_results.Count > 500_000) _results.Clear();
            _results[key] = result;
        }
    }

    /// <summary>Forgets a result gc dropped from the store.</summary>
    public void Forget(string key)
    {
        lock (_gate) _results.Remove(key);
    }

    /// <summary>Joins the run of <paramref name="key"/>, or starts it with <paramref name="run"/>; release the interest with <see cref="Release"/>.</summary>
    public Task<CellResult> Acquire(string key, Func<CancellationToken, Task<CellResult>> run)
    {
        lock (_gate)
        {
            // A run no one wanted any more is being cancelled: a new interest starts its own rather than share its cancellation.
            if (_running.TryGetValue(key, out var existing) && !existing.Cancel.IsCancellationRequested)
            {
                existing.Interest++;
                return existing.Task;
            }
            var flight = new InFlight();
            _running[key] = flight;
            flight.Task = Task.Run(async () =>
            {
                try
                {
                    return await run(flight.Cancel.Token).ConfigureAwait(false);
                }
                finally
                {
                    lock (_gate)
                        if (_running.TryGetValue(key, out var current) && current == flight) _running.Remove(key);
                    flight.Cancel.Dispose();
                }
            });
            return flight.Task;
        }
    }

    /// <summary>
    /// Gives up the interest in <paramref name="run"/> (what <see cref="Acquire"/> returned). A later run of the same
    /// key (a cell that followed an entity runs again with its key unchanged) is another run, left alone.
    /// </summary>
    public void Release(string key, Task<CellResult> run)
    {
        lock (_gate)
        {
            if (!_running.TryGetValue(key, out var flight) || flight.Task != run) return;
            if (--flight.Interest > 0) return;
            try { flight.Cancel.Cancel(); }
            catch (ObjectDisposedException) { }
        }
    }

    /// <summary>Waits for a free slot (the cell is "queued" meanwhile).</summary>
    public async Task<IDisposable> SlotAsync(CancellationToken cancel)
    {
        await _slots.WaitAsync(cancel).ConfigureAwait(false);
        return new Slot(_slots);
    }

    public void CancelAll()
    {
        lock (_gate)
            foreach (var flight in _running.Values)
            {
                try { flight.Cancel.Cancel(); }
                catch (ObjectDisposedException) { }
            }
    }

    public Task WhenIdle()
    {
        lock (_gate) return Task.WhenAll(_running.Values.Select(f => f.Task.ContinueWith(_ => { })));
    }

    private sealed class InFlight
    {
        public Task<CellResult> Task = null!;
        public int Interest = 1;
        public readonly CancellationTokenSource Cancel = new();
    }

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) slots.Release();
        }
    }
}
