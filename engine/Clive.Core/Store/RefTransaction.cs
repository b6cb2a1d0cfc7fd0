using Clive.Git;
using Clive.Packs;
using Clive.Store.Refs;

namespace Clive.Store;

/// <summary>
/// The one way refs change, for pushes, the mount's commits, the engine's results and repo
/// create/delete: objects, compare-and-swap ref updates and symbolic refs, and for every ref
/// change an event row (which is also its reflog entry), all in one <c>BEGIN IMMEDIATE</c>
/// transaction. It may hold several batches of objects and updates, for several repos (the
/// engine commits the results of cells that finish together at once). Rolled back unless
/// committed; a commit that changed a ref wakes event followers.
/// </summary>
public sealed class RefTransaction : IDisposable
{
    private readonly CliveStore _store;
    private readonly WriteTransaction _transaction;
    private bool _refsChanged;

    internal RefTransaction(CliveStore store, string who, string why)
    {
        _store = store;
        _transaction = store.BeginWrite();
        Who = who;
        Why = why;
    }

    /// <summary>Who makes the changes, and why: what the reflog says for each of them.</summary>
    public string Who { get; }
    public string Why { get; }

    /// <summary>Writes objects made here (a commit and its trees) into the store.</summary>
    public void Add(NewObjectsPack objects) => objects.InsertInto(_store.Objects);

    /// <summary>Writes a verified pack (a push's) into the store.</summary>
    public void Add(IndexedPack pack)
    {
        if (pack.Entries.Count > 0) _store.Objects.Insert(pack);
    }

    /// <summary>Creates a repo whose HEAD names <paramref name="headBranch"/> (a full ref below refs/heads/).</summary>
    public long CreateRepo(string repo, string headBranch)
    {
        long id = _store.Repos.Insert(repo, headBranch);
        SetSymbolic(repo, id, RefDatabase.Head, headBranch);
        return id;
    }

    /// <summary>
    /// Deletes a repo, every ref it has (each change an event), its entities' declared types, its mounts'
    /// pending edits and its cells' status, runs and models. Objects stay until gc. Returns how many refs pointed at commits.
    /// </summary>
    public int DeleteRepo(string repo)
    {
        repo = Repos.RepoName.Normalize(repo);
        long id = _store.Repos.GetId(repo);
        var refs = _store.Refs.List(id);
        foreach (var r in refs)
        {
            var old = r.Target ?? (r.SymbolicTarget is { } target ? _store.Refs.Get(id, target) : null) ?? ObjectId.Zero;
            Record(repo, r.Name, old, ObjectId.Zero, r.SymbolicTarget is null ? Why : $"{Why}: {r.Name} was {r.SymbolicTarget}");
        }
        _store.Repos.Remove(id);
        // Keyed by name, not by the repo's row: a repo created later under the same name must not inherit these types.
        _store.EntityTypes.ForgetRepo(repo);
        _store.Overlay.ForgetRepo(repo);
        _store.Cells.ForgetRepo(repo);
        return refs.Count(r => r.Target is not null);
    }

    /// <summary>
    /// Points the symbolic ref <paramref name="name"/> (HEAD) at <paramref name="target"/>. Its event,
    /// as in git's reflog of HEAD, goes from the commit it resolved to before to the one it resolves to now.
    /// </summary>
    public void SetSymbolic(string repo, string name, string target)
    {
        repo = Repos.RepoName.Normalize(repo);
        SetSymbolic(repo, _store.Repos.GetId(repo), name, target);
    }

    private void SetSymbolic(string repo, long repoId, string name, string target)
    {
        if (!RefName.IsValid(target)) throw new CliveException($"'{Printable.Of(target)}' is not a valid ref name");
        if (name != RefDatabase.Head) throw new CliveException($"only {RefDatabase.Head} may be a symbolic ref, not '{Printable.Of(name)}'");
        var old = _store.Refs.Resolve(repoId, name) ?? ObjectId.Zero;
        _store.Refs.Write(repoId, name, null, target);
        Record(repo, name, old, _store.Refs.Get(repoId, target) ?? ObjectId.Zero, $"{Why}: {name} → {target}");
    }

    /// <summary>
    /// Compares-and-swaps each update against its expected old value; with <paramref name="atomic"/>,
    /// one failure fails all (and nothing is written). Answers in the order asked.
    /// </summary>
    public IReadOnlyList<RefUpdateResult> Update(string repo, IReadOnlyList<RefUpdate> updates, bool atomic)
    {
        repo = Repos.RepoName.Normalize(repo);
        long repoId = _store.Repos.GetId(repo);
        var results = new List<RefUpdateResult>(updates.Count);
        foreach (var update in updates)
        {
            if (!RefName.IsValid(update.Name))
            {
                results.Add(new(update, RefUpdateStatus.Invalid, "funny refname"));
                continue;
            }
            // A symbolic ref (HEAD) moves only by SetSymbolic: writing an id over it would lose its target.
            var current = _store.Refs.Get(repoId, update.Name) ?? ObjectId.Zero;
            if (current != update.Old)
            {
                results.Add(new(update, RefUpdateStatus.Stale, update.Old.IsZero ? "already exists" : "non-fast-forward"));
                continue;
            }
            // The last line of defence for "a ref never points at a missing object": pushes check the
            // whole closure before this, the engine and the mount write the objects in this transaction.
            if (!update.New.IsZero && !_store.Objects.IsStored(update.New))
            {
                results.Add(new(update, RefUpdateStatus.Invalid, "missing necessary objects"));
                continue;
            }
            results.Add(new(update, RefUpdateStatus.Ok));
        }
        if (atomic && results.Any(r => !r.Succeeded))
            return results.Select(r => r.Succeeded ? r with { Status = RefUpdateStatus.AtomicFailed, Message = "atomic push failed" } : r).ToList();
        foreach (var u in results.Where(r => r.Succeeded).Select(r => r.Update))
        {
            if (u.New.IsZero) _store.Refs.Remove(repoId, u.Name);
            else _store.Refs.Write(repoId, u.Name, u.New, null);
            Record(repo, u.Name, u.Old, u.New, Why);
        }
        return results;
    }

    private void Record(string repo, string refName, ObjectId old, ObjectId @new, string why)
    {
        _store.Events.Append(repo, refName, old, @new, Who, why);
        _refsChanged = true;
    }

    public void Commit()
    {
        if (_refsChanged) _transaction.Committed += _store.Events.Signal;
        _transaction.Commit();
    }

    public void Dispose() => _transaction.Dispose();
}
