using Clive.Interop;

namespace Clive.Store.Maintenance;

/// <summary>
/// What pushes, fetches and gc agree on, so that gc runs beside them and waits for them only at
/// two points, and makes no push or fetch wait longer than its own short sweep.
/// <para>
/// A push decides what it may lean on (the objects its refs reach, a thin pack's delta bases)
/// before its write transaction; gc decides what to drop in its sweep. A sweep between the two
/// could drop an object the push then commits a ref over. So a push holds a shared lock on
/// <c>gc.push.inflight</c> from that decision to its commit, and the sweep an exclusive one. The
/// sweep first waits for a moment when no push is in flight; if pushes overlap for longer than its
/// patience, it closes the gate (an exclusive lock on <c>gc.push.gate</c>, which every push passes
/// with a shared one) so that the pushes in flight drain and no new one starts until it is done.
/// </para>
/// <para>
/// A fetch may have learnt where an object lay before the sweep moved it; the pack it read from
/// stays readable until gc deletes it. So a fetch holds a shared lock on <c>gc.fetch.inflight</c>,
/// and gc deletes retired packs only once it has seen that lock free: every fetch in flight then
/// started after the sweep, and reads nothing retired. If fetches overlap for longer than its
/// patience, the retired packs are left for the next gc.
/// </para>
/// Locks are flocks: the kernel drops them however their process ends.
/// </summary>
public sealed class GcGate : IDisposable
{
    private const string Pushes = "gc.push";
    private const string Fetches = "gc.fetch";
    private const string RunningName = "gc.lock";
    private readonly List<int> _descriptors;

    private GcGate(List<int> descriptors) => _descriptors = descriptors;

    /// <summary>Held by a push from the moment it reads what it may build on until its commit.</summary>
    public static GcGate Push(string storeDirectory) => Pass(storeDirectory, Pushes);

    /// <summary>Held by a fetch while it serves objects.</summary>
    public static GcGate Fetch(string storeDirectory) => Pass(storeDirectory, Fetches);

    /// <summary>Held by gc's sweep: no push is between its decision and its commit, and none starts one.</summary>
    public static GcGate Sweep(string storeDirectory, TimeSpan patience, Action<string>? progress)
    {
        if (WaitForNoneInFlight(storeDirectory, Pushes, patience, progress, "pushes") is { } quiet) return quiet;
        progress?.Invoke("Closing the gate to new pushes until those in flight are done\n");
        int gate = Take(storeDirectory, Pushes + ".gate", Flock.Exclusive);
        try
        {
            return new GcGate([gate, Take(storeDirectory, Pushes + ".inflight", Flock.Exclusive)]);
        }
        catch
        {
            Flock.Close(gate);
            throw;
        }
    }

    /// <summary>Whether no fetch that began before the sweep is still in flight (so retired packs may go), seen within <paramref name="patience"/>.</summary>
    public static bool FetchesBeforeSweepAreDone(string storeDirectory, TimeSpan patience, Action<string>? progress)
    {
        using var seen = WaitForNoneInFlight(storeDirectory, Fetches, patience, progress, "fetches");
        return seen is not null;
    }

    /// <summary>Held for a whole gc: two at once would each drop the pack the other is writing.</summary>
    public static GcGate Running(string storeDirectory)
    {
        var path = Path.Combine(storeDirectory, RunningName);
        int fd = Flock.OpenLockFile(path);
        if (Flock.Lock(fd, Flock.Exclusive | Flock.NonBlocking, path)) return new GcGate([fd]);
        Flock.Close(fd);
        throw new CliveException($"another clive gc is running on the store {storeDirectory}");
    }

    private static GcGate Pass(string storeDirectory, string name)
    {
        int gate = Take(storeDirectory, name + ".gate", Flock.Shared);
        try
        {
            return new GcGate([Take(storeDirectory, name + ".inflight", Flock.Shared)]);
        }
        finally
        {
            // Once in flight, a client no longer holds the gate open for those behind it.
            Flock.Close(gate);
        }
    }

    /// <summary>The in-flight lock taken exclusively at a moment when nobody holds it, or null once <paramref name="patience"/> is spent.</summary>
    private static GcGate? WaitForNoneInFlight(string storeDirectory, string name, TimeSpan patience, Action<string>? progress, string what)
    {
        var path = Path.Combine(storeDirectory, name + ".inflight");
        int fd = Flock.OpenLockFile(path);
        var deadline = DateTime.UtcNow + patience;
        bool told = false;
        // Polled, not waited for: a blocking request would not stop new clients taking the shared lock, and could wait forever.
        while (!Flock.Lock(fd, Flock.Exclusive | Flock.NonBlocking, path))
        {
            if (DateTime.UtcNow >= deadline)
            {
                Flock.Close(fd);
                return null;
            }
            if (!told) progress?.Invoke($"Waiting for the {what} in flight\n");
            told = true;
            Thread.Sleep(20);
        }
        return new GcGate([fd]);
    }

    private static int Take(string storeDirectory, string name, int operation)
    {
        var path = Path.Combine(storeDirectory, name);
        int fd = Flock.OpenLockFile(path);
        try
        {
            Flock.Lock(fd, operation, path);
            return fd;
        }
        catch
        {
            Flock.Close(fd);
            throw;
        }
    }

    public void Dispose()
    {
        foreach (int fd in _descriptors) Flock.Close(fd);
        _descriptors.Clear();
    }
}
