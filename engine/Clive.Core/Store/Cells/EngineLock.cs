using System.Globalization;
using Clive.Interop;

namespace Clive.Store.Cells;

/// <summary>Whether an engine runs on a store, as far as anyone can tell from outside it.</summary>
/// <param name="Running">An engine holds the store now.</param>
/// <param name="Pid">The process of the running engine, or of the last one.</param>
/// <param name="Started">When that engine started.</param>
/// <param name="Stopped">When it stopped cleanly; null while it runs, and for one that was killed.</param>
/// <param name="Unknown">Why nobody can tell whether an engine runs (its state file is unreadable); null when the rest is known.</param>
/// <param name="Heartbeat">The engine's last heartbeat (the state file's modification time, which a running engine touches).</param>
public sealed record EngineLiveness(bool Running, int? Pid, DateTimeOffset? Started, DateTimeOffset? Stopped, string? Unknown = null, DateTimeOffset? Heartbeat = null)
{
    public static readonly EngineLiveness NeverRan = new(false, null, null, null);

    public static EngineLiveness Unreadable(string why) => new(false, null, null, null, why);
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

    /// <summary>
    /// Takes the store's engine lock, or throws when another engine holds it: `clive up`, or `clive
    /// run`, which evaluates a ref and runs cells, services included, as `clive up` does, so two of
    /// them would run a cell twice and overwrite each other's status.
    /// </summary>
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
            throw AlreadyRunning(storeDirectory);
        }
        int pid = Environment.ProcessId;
        var holder = $"pid {pid}\nprocess-start {ProcessIdentity.StartTime(pid) ?? 0}\nstarted {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}\n";
        var engineLock = new EngineLock(file, storeDirectory, holder);
        engineLock.Write(holder);
        return engineLock;
    }

    /// <summary>The refusal of a second engine, naming the one that runs when it can.</summary>
    public static CliveException AlreadyRunning(string storeDirectory) =>
        new($"an engine is already running on the store {storeDirectory}{Holder(storeDirectory)}");

    /// <summary>" (pid 12: clive up --all)": the engine that holds the lock, when its state names a live one; else "".</summary>
    private static string Holder(string storeDirectory)
    {
        // The holder writes its state just after it takes the lock: one that has only just started is not named yet.
        if (Probe(storeDirectory) is not { Running: true, Pid: { } pid }) return "";
        try
        {
            // clive hands `up` and `run` to clive-engine with the same arguments: show them as the user typed them.
            var arguments = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries).Skip(1);
            return $" (pid {pid}: clive {string.Join(' ', arguments)})";
        }
        catch (IOException)
        {
            return $" (pid {pid})";
        }
    }

    /// <summary>Records a clean stop (everything the engine ran is stopped and recorded); the lock is released on dispose.</summary>
    public void MarkStopped() => Write(_holder + $"stopped {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}\n");

    /// <summary>
    /// The heartbeat: touches the state file's modification time. No write and no fsync: only
    /// processes of this host read it, through the same page cache, and after a crash of the host
    /// the engine is gone anyway (its pid and start time say so, whatever the file's time says).
    /// </summary>
    public void Beat() => File.SetLastWriteTimeUtc(Path.Combine(_directory, StateName), DateTime.UtcNow);

    /// <summary>Replaced whole (rename), so a reader sees the old state or the new, never half of one.</summary>
    private void Write(string text)
    {
        var path = Path.Combine(_directory, StateName);
        var temporary = path + "." + Environment.ProcessId + ".tmp";
        using (var file = StorePermissions.CreateFile(temporary)) file.Write(System.Text.Encoding.ASCII.GetBytes(text));
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// What the state file says, checked against the processes that run now. A file this engine
    /// did not write (hand-edited, truncated, a repeated or out-of-range field) cannot say whether an
    /// engine runs: that is <see cref="EngineLiveness.Unknown"/>, never an exception, and the next
    /// <c>clive up</c> replaces it.
    /// </summary>
    public static EngineLiveness Probe(string storeDirectory)
    {
        var path = Path.Combine(storeDirectory, StateName);
        string text;
        DateTimeOffset heartbeat;
        try
        {
            text = File.ReadAllText(path);
            heartbeat = File.GetLastWriteTimeUtc(path);
        }
        // No store directory at all (`clive down` on a store never made) is no engine either.
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return EngineLiveness.NeverRan;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return EngineLiveness.Unreadable($"{path} cannot be read ({e.Message})");
        }
        return EngineState.Parse(text) is { } state ? state.Liveness() with { Heartbeat = heartbeat } : EngineLiveness.Unreadable($"{path} is not a state clive up wrote");
    }

    public void Dispose() => _lock.Dispose();
}

/// <summary>The fields of <c>engine.state</c>, or null for a file that does not hold them exactly once each, in range.</summary>
internal sealed record EngineState(int Pid, long ProcessStart, DateTimeOffset Started, DateTimeOffset? Stopped)
{
    public static EngineState? Parse(string text)
    {
        var fields = new Dictionary<string, long>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', 2);
            if (parts.Length != 2 || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value)) return null;
            if (!fields.TryAdd(parts[0], value)) return null;
        }
        if (!fields.TryGetValue("pid", out var pid) || pid is < 1 or > int.MaxValue) return null;
        if (!fields.TryGetValue("process-start", out var processStart)) return null;
        if (!fields.TryGetValue("started", out var started) || Time(started) is not { } startedAt) return null;
        DateTimeOffset? stoppedAt = null;
        if (fields.TryGetValue("stopped", out var stopped) && (stoppedAt = Time(stopped)) is null) return null;
        return new EngineState((int)pid, processStart, startedAt, stoppedAt);
    }

    public EngineLiveness Liveness() =>
        new(Stopped is null && ProcessIdentity.IsAlive(Pid, ProcessStart), Pid, Started, Stopped);

    private static DateTimeOffset? Time(long milliseconds) =>
        milliseconds <= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds() ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds) : null;
}
