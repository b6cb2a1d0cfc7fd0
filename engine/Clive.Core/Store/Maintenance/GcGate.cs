using Clive.Interop;

namespace Clive.Store.Maintenance;

/// <summary>
/// What pushes, fetches and gc agree on, so that gc runs beside them and waits for them only at
/// two short points.
/// <para>
/// A push decides what it may lean on (the objects its refs reach, a thin pack's delta bases)
/// before its write transaction; gc decides what to drop in its sweep. A sweep between the two
/// could drop an object the push then commits a ref over. So pushes hold <see cref="Push"/>
/// from that decision to their commit, and the sweep holds <see cref="Sweep"/>.
/// </para>
/// <para>
/// A fetch may have learnt where an object lay before the sweep moved it; the pack it read from
/// stays readable until gc deletes it. So fetches hold <see cref="Fetch"/>, and gc deletes the
/// packs it retired under <see cref="DeleteRetired"/>.
/// </para>
/// Each pair is a gate and an in-flight lock: a client passes the gate (shared) and holds the
/// in-flight lock (shared); gc closes the gate (exclusive), so a stream of clients cannot starve
/// it, then waits for those in flight (exclusive). Clients wait only while gc holds both. Locks
/// are flocks: the kernel drops them however their process ends.
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
    public static GcGate Sweep(string storeDirectory) => Close(storeDirectory, Pushes);

    /// <summary>Held by gc while it deletes retired packs: no fetch that could still read them is in flight.</summary>
    public static GcGate DeleteRetired(string storeDirectory) => Close(storeDirectory, Fetches);

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

    private static GcGate Close(string storeDirectory, string name)
    {
        int gate = Take(storeDirectory, name + ".gate", Flock.Exclusive);
        try
        {
            return new GcGate([gate, Take(storeDirectory, name + ".inflight", Flock.Exclusive)]);
        }
        catch
        {
            Flock.Close(gate);
            throw;
        }
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
