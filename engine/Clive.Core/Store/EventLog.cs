using Clive.Git;

namespace Clive.Store;

/// <summary>One ref change: the event sequence and the reflog are the same rows.</summary>
public sealed record RefEvent(long Sequence, string Repo, string Ref, ObjectId Old, ObjectId New, DateTimeOffset Time, string Who, string Why);

/// <summary>
/// The store-wide sequence of ref changes. Followers ask "what changed since N" and wait on a
/// signal file that every committing writer rewrites (<see cref="EventFollower"/>).
/// </summary>
public sealed class EventLog(CliveStore store)
{
    public const string SignalFileName = "events.signal";

    /// <summary>
    /// The signal file lives in a directory of its own: inotify watches directories, and in the store
    /// directory every write to the database's log (thousands a second while an engine stores results)
    /// would wake every follower's watcher only to be filtered out.
    /// </summary>
    public const string SignalDirectoryName = "signal";

    internal static string SignalDirectory(string storeDirectory) => Path.Combine(storeDirectory, SignalDirectoryName);

    private string SignalPath => Path.Combine(SignalDirectory(store.Directory), SignalFileName);

    internal void Append(string repo, string refName, ObjectId old, ObjectId @new, string who, string why)
        => store.Connection.Execute(
            "INSERT INTO events(repo, ref, old, new, time, who, why) VALUES($repo, $ref, $old, $new, $time, $who, $why)",
            ("$repo", repo), ("$ref", refName), ("$old", old.IsZero ? null : old.ToBytes()), ("$new", @new.IsZero ? null : @new.ToBytes()),
            ("$time", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), ("$who", who), ("$why", why));

    /// <summary>Wakes followers; called after a commit that appended events.</summary>
    public void Signal()
    {
        try
        {
            var latest = System.Text.Encoding.ASCII.GetBytes(Latest().ToString());
            FileStream file;
            try { file = StorePermissions.CreateFile(SignalPath); }
            catch (DirectoryNotFoundException)
            {
                StorePermissions.CreateDirectory(SignalDirectory(store.Directory));
                file = StorePermissions.CreateFile(SignalPath);
            }
            using (file) file.Write(latest);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A follower also polls; a failed wake-up only delays it.
        }
    }

    public long Latest() => store.Connection.Scalar<long>("SELECT coalesce(max(seq), 0) FROM events");

    public IReadOnlyList<RefEvent> Since(long sequence, int limit = 10_000)
        => Query("WHERE seq > $since ORDER BY seq LIMIT $limit", ("$since", sequence), ("$limit", limit));

    /// <summary>The reflog of a repo, or of one of its refs, newest first.</summary>
    public IReadOnlyList<RefEvent> Log(string repo, string? refName, int limit)
        => refName is null
            ? Query("WHERE repo=$repo ORDER BY seq DESC LIMIT $limit", ("$repo", repo), ("$limit", limit))
            : Query("WHERE repo=$repo AND ref=$ref ORDER BY seq DESC LIMIT $limit", ("$repo", repo), ("$ref", refName), ("$limit", limit));

    /// <summary>The last change that set <paramref name="refName"/> to <paramref name="commit"/>: who made a ref point where it points.</summary>
    public RefEvent? LastSetTo(string repo, string refName, ObjectId commit)
        => Query("WHERE repo=$repo AND ref=$ref AND new=$new ORDER BY seq DESC LIMIT 1", ("$repo", repo), ("$ref", refName), ("$new", commit.ToBytes()))
            .FirstOrDefault();

    /// <summary>Starts following: wake-ups for every event committed from now on, by any process.</summary>
    public EventFollower Follow() => new(this, store.Directory);

    private List<RefEvent> Query(string where, params (string, object?)[] parameters)
        => store.Connection.Rows("SELECT seq, repo, ref, old, new, time, who, why FROM events " + where, parameters)
            .Select(r => new RefEvent(r.GetInt64(0), r.GetString(1), r.GetString(2),
                r.IsDBNull(3) ? ObjectId.Zero : new ObjectId((byte[])r.GetValue(3)),
                r.IsDBNull(4) ? ObjectId.Zero : new ObjectId((byte[])r.GetValue(4)),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(5)), r.GetString(6), r.GetString(7)))
            .ToList();
}
