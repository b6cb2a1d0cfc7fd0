using System.Diagnostics;
using Clive.Core.Store.Engines;
using Clive.Store;
using Clive.Store.Cells;

namespace Clive.EngineHost;

/// <summary>
/// `clive up --detach`: starts the same `clive up` in a session of its own (setsid), stdin from
/// /dev/null, its output appended to <c>&lt;store&gt;/logs/engine.log</c>, as clive-fs does for a
/// background mount; returns once that engine advertises itself as running, or fails with the
/// log's last lines when it exits first.
/// </summary>
internal static class DetachedStart
{
    public const string Flag = "--detach";
    private static readonly TimeSpan StartWithin = TimeSpan.FromSeconds(60);

    public static int Run(CliveStore store, string[] args)
    {
        // Checked here too, so the refusal is on the user's terminal rather than in the log.
        if (EngineLock.Probe(store.Directory).Running) throw EngineLock.AlreadyRunning(store.Directory);
        var logDirectory = Path.Combine(store.Directory, "logs");
        // The log names repos, cells and paths: as private as the store (the shell's >> would create it as the umask says).
        StorePermissions.CreateDirectory(logDirectory);
        var log = Path.Combine(logDirectory, "engine.log");
        StorePermissions.CreateFile(log, FileMode.OpenOrCreate, FileShare.ReadWrite).Dispose();

        var launched = DateTimeOffset.UtcNow;
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var a in new[] { "-c", "exec setsid \"$@\" </dev/null >>\"$CLIVE_ENGINE_LOG\" 2>&1", "sh", Environment.ProcessPath! }.Concat(Foreground(args)))
            info.ArgumentList.Add(a);
        info.Environment["CLIVE_ENGINE_LOG"] = log;
        using var child = Process.Start(info)!;
        var deadline = DateTime.UtcNow + StartWithin;
        while (DateTime.UtcNow < deadline)
        {
            if (Started(store, launched) is { } advert)
            {
                Console.Out.WriteLine($"clive up: engine running in the background (pid {advert.Pid}); log: {log}");
                return 0;
            }
            if (child.WaitForExit(50) && Started(store, launched) is null)
                throw new CliveException($"the engine did not start: {string.Join(" / ", File.ReadLines(log).TakeLast(3))} (log: {log})");
        }
        throw new CliveException($"the engine did not start within {StartWithin.TotalSeconds:0} s (log: {log})");
    }

    /// <summary>The arguments without --detach: the background engine runs in the foreground of its own session.</summary>
    private static IEnumerable<string> Foreground(string[] args)
    {
        if (args.Any(a => a.StartsWith(Flag + "=", StringComparison.Ordinal))) throw new UsageException($"write {Flag} alone, without a value");
        return args.Where(a => a != Flag);
    }

    /// <summary>This host's advert, once an engine started after <paramref name="launched"/> says it runs.</summary>
    private static EngineAdvert? Started(CliveStore store, DateTimeOffset launched) =>
        EngineRegistry.List(store).FirstOrDefault(e => e.Name == EngineRegistry.LocalName) is { Running: true } entry
            && entry.Advert.Started >= launched.AddSeconds(-1) ? entry.Advert : null;
}
