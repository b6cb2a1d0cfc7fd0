using System.Globalization;
using Clive.Interop;

namespace Clive.Store.Cells;

/// <summary>Whether an engine runs on a store, as far as anyone can tell from outside it.</summary>
/// <param name="Running">An engine holds the store now.</param>
/// <param name="Pid">The process of the running engine, or of the last one.</param>
/// <param name="Started">When that engine started.</param>
/// <param name="Stopped">When it stopped cleanly; null while it runs, and for one that was killed.</param>
public sealed record EngineLiveness(bool Running, int? Pid, DateTimeOffset? Started, DateTimeOffset? Stopped)
{
    public static readonly EngineLiveness NeverRan = new(false, null, null, null);
}

/// <summary>
/// The one engine of a store: `clive up` holds an exclusive flock on <c>engine.lock</c> for as long
/// as it runs (the kernel drops it however the engine ends), and writes beside it, in
/// <c>engine.state</c>, who holds it and, at a clean stop, when it stopped. `clive status` and
/// `watch` check the process id and start time written there rather than trust the last status
/// rows, which an engine killed with -9 leaves saying "running". They never open the lock file:
/// .NET takes a shared flock on every file it opens, and a reader holding one, however briefly,
/// would make a starting engine believe another one runs.
/// </summary>
public sealed class EngineLock : IDisposable
{
    public const string LockName = "engine.lock";
    public const string StateName = "engine.state";
    private readonly FileStream _lock;
    private readonly string _directory;
    private readonly string _holder;

    private EngineLock(FileStream @lock, string directory, string holder)
    {
        _lock = @lock;
        _directory = directory;
        _holder = holder;
    }

    /// <summary>Takes the store's engine lock, or throws when another engine holds it.</summary>
    public static EngineLock Acquire(string storeDirectory)
    {
        var path = Path.Combine(storeDirectory, LockName);
        FileStream file;
        try
        {
            // On Unix, FileShare.None takes an advisory flock: released when the process dies, however it dies.
            file = StorePermissions.CreateFile(path, FileMode.OpenOrCreate, FileShare.None);
        }
        catch (IOException)
        {
            throw new CliveException($"an engine is already running on the store {storeDirectory}");
        }
        int pid = Environment.ProcessId;
        var holder = $"pid {pid}\nprocess-start {ProcessIdentity.StartTime(pid) ?? 0}\nstarted {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}\n";
        var engineLock = new EngineLock(file, storeDirectory, holder);
        engineLock.Write(holder);
        return engineLock;
    }

    /// <summary>Records a clean stop (everything the engine ran is stopped and recorded); the lock is released on dispose.</summary>
    public void MarkStopped() => Write(_holder + $"stopped {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}\n");

    /// <summary>Replaced whole (rename), so a reader sees the old state or the new, never half of one.</summary>
    private void Write(string text)
    {
        var path = Path.Combine(_directory, StateName);
        var temporary = path + "." + Environment.ProcessId + ".tmp";
        using (var file = StorePermissions.CreateFile(temporary)) file.Write(System.Text.Encoding.ASCII.GetBytes(text));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>What the lock file says, checked against the processes that run now.</summary>
    public static EngineLiveness Probe(string storeDirectory)
    {
        string text;
        try
        {
            text = File.ReadAllText(Path.Combine(storeDirectory, StateName));
        }
        catch (FileNotFoundException)
        {
            return EngineLiveness.NeverRan;
        }
        var fields = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' ', 2)).Where(f => f.Length == 2)
            .ToDictionary(f => f[0], f => f[1]);
        long? Number(string name) => fields.TryGetValue(name, out var value) && long.TryParse(value, CultureInfo.InvariantCulture, out var n) ? n : null;
        var pid = (int?)Number("pid");
        var started = Number("started") is { } s ? DateTimeOffset.FromUnixTimeMilliseconds(s) : (DateTimeOffset?)null;
        var stopped = Number("stopped") is { } t ? DateTimeOffset.FromUnixTimeMilliseconds(t) : (DateTimeOffset?)null;
        bool running = stopped is null && pid is { } p && Number("process-start") is { } start && ProcessIdentity.IsAlive(p, start);
        return new EngineLiveness(running, pid, started, stopped);
    }

    public void Dispose() => _lock.Dispose();
}
