using Clive.Store;

namespace Clive.Engine;

/// <summary>
/// Wakes the engine when any process commits a ref change: one inotify watch on the store's signal
/// file for the engine's whole life (setting one up per wait would add its cost to every event).
/// </summary>
internal sealed class EventFollower : IDisposable
{
    private readonly FileSystemWatcher _watcher;
    private readonly SemaphoreSlim _wake = new(0);

    public EventFollower(string storeDirectory)
    {
        _watcher = new FileSystemWatcher(storeDirectory, EventLog.SignalFileName)
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.FileName | NotifyFilters.CreationTime,
        };
        _watcher.Changed += Wake;
        _watcher.Created += Wake;
        _watcher.EnableRaisingEvents = true;
    }

    private void Wake(object? sender, FileSystemEventArgs e) => _wake.Release();

    /// <summary>Waits for a signal or the timeout; callers then ask the store what changed.</summary>
    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancel)
    {
        await _wake.WaitAsync(timeout, cancel).ConfigureAwait(false);
        while (_wake.CurrentCount > 0) _wake.Wait(0);
    }

    public void Dispose()
    {
        _watcher.Dispose();
        _wake.Dispose();
    }
}
