using Microsoft.Data.Sqlite;

namespace Clive.Fs;

/// <summary>
/// What a mount's background threads (the ref follower, the committer) do with an error. A busy
/// store passes: the thread waits (<see cref="Backoff"/>) and tries again. Anything else would
/// leave the mount quietly wrong (a tree that no longer follows its ref, edits that never become
/// commits), so it is logged with its stack and the mount is stopped: the user sees it go, and
/// the edits stay durable in the store's overlay for the next mount.
/// </summary>
public sealed class MountFailure(Action<string> log, Action stopMount)
{
    private string? _reason;

    /// <summary>Why the mount stopped, for its one <c>fatal:</c> line; null while it is well.</summary>
    public string? Reason => Volatile.Read(ref _reason);

    public bool HasFailed => Reason is not null;

    /// <summary>SQLite's BUSY and LOCKED: another process holds the store longer than the connection waits.</summary>
    public static bool IsTransient(Exception e) => e is SqliteException { SqliteErrorCode: 5 or 6 };

    /// <summary>How long to wait before attempt <paramref name="attempt"/> (0-based) after a transient error: 0.1 s doubling, at most 5 s.</summary>
    public static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Math.Min(5000, 100 * Math.Pow(2, Math.Min(attempt, 10))));

    /// <summary>Logs the error with its stack and stops the mount; the first failure is the reason given.</summary>
    public void Stop(string activity, Exception e)
    {
        log($"{activity} failed; stopping the mount: {e}");
        if (Interlocked.CompareExchange(ref _reason, $"{activity} failed: {e.Message} (the mount stopped; saved edits are kept for the next mount)", null) is null)
            stopMount();
    }
}
