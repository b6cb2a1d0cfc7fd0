using Clive.Core.Store.Engines;
using Clive.Engine;
using Clive.Engine.Execution;
using Clive.Interop;
using Clive.Store.Cells;

namespace Clive.EngineHost;

/// <summary>
/// A running `clive up` as others see it: its advert (labels, job slots, repos) in the store's engine
/// registry, written when it starts and when it stops, and a heartbeat in between.
/// </summary>
internal sealed class EnginePresence : IDisposable
{
    private readonly EngineStore _store;
    private readonly EngineAdvert _advert;
    private readonly Timer _heartbeat;

    private EnginePresence(EngineStore store, EngineAdvert advert, EngineLock engineLock)
    {
        _store = store;
        _advert = advert;
        _heartbeat = new Timer(_ => Beat(engineLock), null, TimeSpan.Zero, EngineRegistry.HeartbeatInterval);
    }

    /// <summary>Advertises the engine as running and starts its heartbeat.</summary>
    public static EnginePresence Start(EngineStore store, EngineLock engineLock, EngineOptions options, IReadOnlyList<string> labels)
    {
        int pid = Environment.ProcessId;
        var advert = new EngineAdvert(Environment.MachineName, store.Store.Directory, pid, ProcessIdentity.StartTime(pid) ?? 0, labels, options.Jobs,
            options.Repos, options.AllRepos, AdvertisedState.Running, DateTimeOffset.UtcNow, null);
        store.Write(s => EngineRegistry.Publish(s.Store, advert));
        return new EnginePresence(store, advert, engineLock);
    }

    /// <summary>A beat that fails (the state file replaced meanwhile) is skipped: the next one tries again, and a timer must not throw.</summary>
    private static void Beat(EngineLock engineLock)
    {
        try { engineLock.Beat(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>Says the engine stopped: called once its services are stopped and recorded.</summary>
    public void MarkStopped()
    {
        _heartbeat.Dispose();
        _store.Write(s => EngineRegistry.Publish(s.Store, _advert with { State = AdvertisedState.Stopped, Stopped = DateTimeOffset.UtcNow }));
    }

    public void Dispose() => _heartbeat.Dispose();
}
