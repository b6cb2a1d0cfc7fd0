using System.Diagnostics;
using Clive.Git;
using Clive.Store;
using Clive.Store.Objects;

namespace Clive.Transfer;

/// <summary>
/// Reachability bitmaps (git's pack bitmaps, kept in the store): for some commits, the set of
/// every object the commit reaches, so that a clone ORs a few saved sets instead of opening
/// every commit and tree of the history. Saved for the newest commit a clone asks for and for
/// commits every <see cref="CheckpointSpacing"/> steps down its first-parent line, so the next
/// clone after a push walks only what the push added, down to the nearest saved commit.
/// </summary>
/// <remarks>
/// A bitmap is a commit's closure, which never changes; only its numbering can go stale (gc
/// moves objects to new packs), and a stale one is refused when read and dropped when the next
/// bitmaps are saved. Access rules need nothing more: a clone uses a saved set only for a commit
/// it has reached from the refs it may read.
/// </remarks>
public sealed class ReachabilityIndex
{
    public const string Schema = """
        CREATE TABLE reach_bitmaps(
            commit_oid BLOB PRIMARY KEY,
            bitmap BLOB NOT NULL) WITHOUT ROWID;
        """;

    /// <summary>First-parent steps between saved commits: more costs space, fewer costs walking after a force push.</summary>
    public const int CheckpointSpacing = 1024;

    private readonly CliveStore _store;
    private readonly ObjectNumbering _numbering;
    private readonly HashSet<ObjectId> _savedCommits;
    private readonly Dictionary<ObjectId, ReachBitmap?> _loaded = [];
    private readonly Dictionary<ObjectId, ReachBitmap> _toSave = [];
    private readonly List<ObjectId> _stale = [];
    private int _used;

    public ReachabilityIndex(CliveStore store)
    {
        long start = Stopwatch.GetTimestamp();
        _store = store;
        _numbering = store.Objects.Number();
        _savedCommits = store.Connection.Rows("SELECT commit_oid FROM reach_bitmaps").Select(r => new ObjectId((byte[])r.GetValue(0))).ToHashSet();
        Trace.Write($"reachability: objects numbered, {_savedCommits.Count} bitmaps saved, {Stopwatch.GetElapsedTime(start).TotalMilliseconds:F0} ms");
    }

    /// <summary>
    /// Everything <paramref name="wants"/> reach (tags peeled, trees and blobs below): what a full
    /// clone sends. Saves the bitmaps it had to build on the way (best effort: a busy store skips it).
    /// </summary>
    public List<ObjectId> Reachable(IReadOnlyCollection<ObjectId> wants)
    {
        long start = Stopwatch.GetTimestamp();
        var walk = new ClosureWalk(_store.Objects, _numbering, Saved);
        var all = new ReachBitmap(_numbering.Size);
        var newest = wants.Where(IsCommit).Select(id => (Id: id, Time: _store.Objects.ReadCommit(id).CommitTime))
            .OrderByDescending(c => c.Time).Select(c => c.Id).FirstOrDefault();
        if (newest != default) all.Or(Build(newest, walk));
        walk.Extend(all, wants);
        var ids = all.Ids(_numbering);
        Trace.Write($"reachability: {ids.Count} objects, {_used} saved bitmaps used, {walk.CommitsWalked} commits walked, "
            + $"{walk.TreesOpened} trees opened, {_toSave.Count} bitmaps built, {Stopwatch.GetElapsedTime(start).TotalMilliseconds:F0} ms");
        SaveBuilt();
        return ids;
    }

    /// <summary>A commit's closure: saved, or built from its first-parent line up with a saved bitmap every <see cref="CheckpointSpacing"/> commits.</summary>
    private ReachBitmap Build(ObjectId tip, ClosureWalk walk)
    {
        if (Saved(tip) is { } saved) return saved;
        // Down the first-parent line to the nearest saved commit (or the root).
        var line = new List<ObjectId>();
        var bits = new ReachBitmap(_numbering.Size);
        for (ObjectId? id = tip; id is { } commit;)
        {
            if (Saved(commit) is { } below)
            {
                bits.Or(below);
                break;
            }
            line.Add(commit);
            var parents = _store.Objects.ReadCommit(commit).Parents;
            id = parents.Count > 0 ? parents[0] : null;
        }
        // Bottom up: each checkpoint's closure holds the one before it, so each walk is only the step between.
        for (int i = line.Count - 1; i >= 0; i--)
        {
            bool checkpoint = i == 0 || (line.Count - 1 - i) % CheckpointSpacing == CheckpointSpacing - 1;
            if (!checkpoint) continue;
            walk.Extend(bits, [line[i]]);
            _toSave[line[i]] = bits.Copy();
        }
        return bits;
    }

    private ReachBitmap? Saved(ObjectId commit)
    {
        if (_toSave.TryGetValue(commit, out var built)) return built;
        if (!_savedCommits.Contains(commit)) return null;
        if (!_loaded.TryGetValue(commit, out var loaded))
        {
            var data = _store.Connection.Scalar<byte[]?>("SELECT bitmap FROM reach_bitmaps WHERE commit_oid=$c", ("$c", commit.ToBytes()));
            loaded = data is null ? null : ReachBitmap.Deserialize(data, _numbering);
            if (data is not null && loaded is null) _stale.Add(commit);
            _loaded[commit] = loaded;
        }
        if (loaded is not null) _used++;
        return loaded;
    }

    private bool IsCommit(ObjectId id) => _store.Objects.TryLocate(id, out var location) && location.Type == ObjectType.Commit;

    private void SaveBuilt()
    {
        if (_toSave.Count == 0 && _stale.Count == 0) return;
        try
        {
            using var transaction = _store.BeginWrite();
            foreach (var commit in _stale)
                _store.Connection.Execute("DELETE FROM reach_bitmaps WHERE commit_oid=$c", ("$c", commit.ToBytes()));
            foreach (var (commit, bits) in _toSave)
            {
                _store.Connection.Execute("INSERT OR REPLACE INTO reach_bitmaps(commit_oid, bitmap) VALUES($c, $b)",
                    ("$c", commit.ToBytes()), ("$b", bits.Serialize(_numbering)));
            }
            transaction.Commit();
        }
        catch (Microsoft.Data.Sqlite.SqliteException e) when (e.SqliteErrorCode is 5 or 6 or 8)
        {
            // Busy, locked or read-only: the clone is served all the same, and the next one builds them.
            Trace.Write($"reachability: bitmaps not saved ({e.Message})");
        }
        _toSave.Clear();
        _stale.Clear();
    }
}
