namespace Clive.Store;

/// <summary>
/// Wakes a follower when any process commits a ref change: one inotify watch on the directory of the
/// store's signal file for as long as the follower lives (setting one up per wait would add its cost
/// to every event, and an engine publishing results makes many). The directory holds that file only,
/// so the watch wakes for signals, not for the database's writes. A slow poll covers a missed wake-up.
/// </summary>
public sealed class EventFollower : IDisposable
{
    private readonly EventLog _events;
    private readonly FileSystemWatcher _watcher;
    private readonly SemaphoreSlim _wake = new(0);

    internal EventFollower(EventLog events, string storeDirectory)
    {
        _events = events;
        var directory = EventLog.SignalDirectory(storeDirectory);
        StorePermissions.CreateDirectory(directory);
        _watcher = new FileSystemWatcher(directory, EventLog.SignalFileName)
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName | NotifyFilters.CreationTime,
        };
        _watcher.Changed += Wake;
        _watcher.Created += Wake;
        _watcher.EnableRaisingEvents = true;
    }

    private void Wake(object? sender, FileSystemEventArgs e) => _wake.Release();

    /// <summary>Blocks until an event after <paramref name="sequence"/> exists or the token fires.</summary>
    public void WaitForNext(long sequence, CancellationToken cancel)
    {
        while (_events.Latest() <= sequence) Wait(TimeSpan.FromSeconds(1), cancel);
    }

    /// <summary>Waits for a signal or the timeout; callers then ask the store what changed.</summary>
    public void Wait(TimeSpan timeout, CancellationToken cancel)
    {
        _wake.Wait(timeout, cancel);
        Drain();
    }

    /// <inheritdoc cref="Wait"/>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancel)
    {
        await _wake.WaitAsync(timeout, cancel).ConfigureAwait(false);
        Drain();
    }

    private void Drain()
    {
        while (_wake.Wait(0)) { }
    }

    public void Dispose()
    {
        _watcher.Dispose();
        _wake.Dispose();
    }
}
