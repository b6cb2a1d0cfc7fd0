using Clive.Git;

namespace Clive.Store.Refs;

/// <summary>A ref as stored: a direct target, or a symbolic ref (HEAD) naming another ref.</summary>
public sealed record StoredRef(string Name, ObjectId? Target, string? SymbolicTarget);

/// <summary>One requested change: from <see cref="Old"/> (zero: must not exist) to <see cref="New"/> (zero: delete).</summary>
public sealed record RefUpdate(string Name, ObjectId Old, ObjectId New);

public enum RefUpdateStatus { Ok, Stale, Invalid, Denied, AtomicFailed }

public sealed record RefUpdateResult(RefUpdate Update, RefUpdateStatus Status, string? Message = null)
{
    public bool Succeeded => Status == RefUpdateStatus.Ok;
}

/// <summary>
/// Refs with compare-and-swap updates. Every change appends an event (which is also the reflog
/// entry), in the same transaction as the change.
/// </summary>
public sealed class RefDatabase(CliveStore store)
{
    public const string Head = "HEAD";

    public IReadOnlyList<StoredRef> List(long repoId)
        => store.Connection.Rows("SELECT name, oid, symref FROM refs WHERE repo_id=$repo ORDER BY name", ("$repo", repoId))
            .Select(r => new StoredRef(r.GetString(0),
                r.IsDBNull(1) ? null : new ObjectId((byte[])r.GetValue(1)),
                r.IsDBNull(2) ? null : r.GetString(2)))
            .ToList();

    public ObjectId? Get(long repoId, string name)
    {
        var raw = store.Connection.Scalar<byte[]?>("SELECT oid FROM refs WHERE repo_id=$repo AND name=$name",
            ("$repo", repoId), ("$name", name));
        return raw is null ? null : new ObjectId(raw);
    }

    public string? SymbolicTarget(long repoId, string name)
        => store.Connection.Scalar<string?>("SELECT symref FROM refs WHERE repo_id=$repo AND name=$name",
            ("$repo", repoId), ("$name", name));

    /// <summary>Resolves a name as git would: HEAD through its target, a short name as a branch or tag.</summary>
    public ObjectId? Resolve(long repoId, string name) => ResolveFull(repoId, name)?.Id;

    /// <summary>A short or full ref name resolved as git resolves it, with the full name it resolved to (what rights are checked against).</summary>
    public (string Name, ObjectId Id)? ResolveFull(long repoId, string name)
    {
        if (SymbolicTarget(repoId, name) is { } target) return Get(repoId, target) is { } head ? (target, head) : null;
        foreach (var candidate in new[] { name, "refs/" + name, "refs/heads/" + name, "refs/tags/" + name })
        {
            if (Get(repoId, candidate) is { } id) return (candidate, id);
        }
        return null;
    }

    public void SetSymbolic(long repoId, string name, string target)
        => store.Connection.Execute("INSERT OR REPLACE INTO refs(repo_id, name, oid, symref) VALUES($repo, $name, NULL, $target)",
            ("$repo", repoId), ("$name", name), ("$target", target));

    /// <summary>
    /// Applies updates inside the caller's write transaction. Each one is compared-and-swapped
    /// against its expected old value; with <paramref name="atomic"/>, one failure fails all
    /// (and the caller must roll back).
    /// </summary>
    internal IReadOnlyList<RefUpdateResult> Apply(string repo, long repoId, IReadOnlyList<RefUpdate> updates, bool atomic, string who, string why)
    {
        var results = new List<RefUpdateResult>(updates.Count);
        foreach (var update in updates)
        {
            if (!RefName.IsValid(update.Name))
            {
                results.Add(new(update, RefUpdateStatus.Invalid, "funny refname"));
                continue;
            }
            var current = Get(repoId, update.Name) ?? ObjectId.Zero;
            if (current != update.Old)
            {
                results.Add(new(update, RefUpdateStatus.Stale, update.Old.IsZero ? "already exists" : "non-fast-forward"));
                continue;
            }
            results.Add(new(update, RefUpdateStatus.Ok));
        }
        if (atomic && results.Any(r => !r.Succeeded))
        {
            return results.Select(r => r.Succeeded ? r with { Status = RefUpdateStatus.AtomicFailed, Message = "atomic push failed" } : r).ToList();
        }
        foreach (var result in results.Where(r => r.Succeeded))
        {
            var u = result.Update;
            if (u.New.IsZero)
                store.Connection.Execute("DELETE FROM refs WHERE repo_id=$repo AND name=$name", ("$repo", repoId), ("$name", u.Name));
            else
                store.Connection.Execute("INSERT OR REPLACE INTO refs(repo_id, name, oid, symref) VALUES($repo, $name, $oid, NULL)",
                    ("$repo", repoId), ("$name", u.Name), ("$oid", u.New.ToBytes()));
            store.Events.Append(repo, u.Name, u.Old, u.New, who, why);
        }
        return results;
    }
}
